/** Fixed wording around the release, per primary language (English for the rest). */
export interface Labels {
  contacts: string;
  links: string;
  phone: string;
  email: string;
  web: string;
  /** Link text in the HTML footer. */
  unsubscribe: string;
  /** Plain-text lead-in before the unsubscribe URL. */
  unsubscribeText: string;
  /** Shown when there is no unsubscribe URL for the recipient. */
  unsubscribeReply: string;
  /** Before the subject of an embargoed copy. */
  embargoPrefix: string;
  /** The notice at the top of a copy sent after the lift (or with no embargo). */
  lifted: string;
  /** The link to the release's newsroom page, in copies sent after the lift. */
  readOnline: string;
}

const LABELS: Record<string, Labels> = {
  en: {
    contacts: 'Press contacts',
    links: 'More information',
    phone: 'Tel.',
    email: 'Email',
    web: 'Web',
    unsubscribe: 'Unsubscribe from these press releases',
    unsubscribeText: 'To stop receiving our press releases:',
    unsubscribeReply: 'To stop receiving our press releases, reply to this email with "unsubscribe".',
    embargoPrefix: 'EMBARGOED: ',
    lifted: 'FOR IMMEDIATE RELEASE',
    readOnline: 'Read online',
  },
  fr: {
    contacts: 'Contacts presse',
    links: "Plus d'informations",
    phone: 'Tél.',
    email: 'E-mail',
    web: 'Web',
    unsubscribe: 'Se désinscrire de nos communiqués',
    unsubscribeText: 'Pour ne plus recevoir nos communiqués\u00a0:',
    unsubscribeReply: 'Pour ne plus recevoir nos communiqués, répondez à ce message avec «\u00a0unsubscribe\u00a0».',
    embargoPrefix: 'SOUS EMBARGO : ',
    lifted: 'POUR DIFFUSION IMMÉDIATE',
    readOnline: 'Lire en ligne',
  },
  de: {
    contacts: 'Pressekontakt',
    links: 'Weitere Informationen',
    phone: 'Tel.',
    email: 'E-Mail',
    web: 'Web',
    unsubscribe: 'Von unseren Pressemitteilungen abmelden',
    unsubscribeText: 'Um keine Pressemitteilungen mehr zu erhalten:',
    unsubscribeReply: 'Um keine Pressemitteilungen mehr zu erhalten, antworten Sie auf diese E-Mail mit „unsubscribe“.',
    embargoPrefix: 'SPERRFRIST: ',
    lifted: 'ZUR SOFORTIGEN VERÖFFENTLICHUNG',
    readOnline: 'Online lesen',
  },
  es: {
    contacts: 'Contactos de prensa',
    links: 'Más información',
    phone: 'Tel.',
    email: 'Correo',
    web: 'Web',
    unsubscribe: 'Darse de baja de nuestros comunicados',
    unsubscribeText: 'Para dejar de recibir nuestros comunicados:',
    unsubscribeReply: 'Para dejar de recibir nuestros comunicados, responda a este mensaje con «unsubscribe».',
    embargoPrefix: 'EMBARGADO: ',
    lifted: 'PARA DIFUSIÓN INMEDIATA',
    readOnline: 'Leer en línea',
  },
  it: {
    contacts: 'Contatti stampa',
    links: 'Ulteriori informazioni',
    phone: 'Tel.',
    email: 'E-mail',
    web: 'Web',
    unsubscribe: 'Annulla l’iscrizione ai nostri comunicati',
    unsubscribeText: 'Per non ricevere più i nostri comunicati:',
    unsubscribeReply: 'Per non ricevere più i nostri comunicati, rispondi a questa email con «unsubscribe».',
    embargoPrefix: 'SOTTO EMBARGO: ',
    lifted: 'PER DIFFUSIONE IMMEDIATA',
    readOnline: 'Leggi online',
  },
  nl: {
    contacts: 'Perscontact',
    links: 'Meer informatie',
    phone: 'Tel.',
    email: 'E-mail',
    web: 'Web',
    unsubscribe: 'Afmelden voor onze persberichten',
    unsubscribeText: 'Geen persberichten meer ontvangen:',
    unsubscribeReply: 'Wilt u geen persberichten meer ontvangen? Beantwoord deze e-mail met "unsubscribe".',
    embargoPrefix: 'EMBARGO: ',
    lifted: 'VOOR ONMIDDELLIJKE PUBLICATIE',
    readOnline: 'Online lezen',
  },
  ru: {
    contacts: 'Контакты для прессы',
    links: 'Дополнительная информация',
    phone: 'Тел.',
    email: 'Эл. почта',
    web: 'Сайт',
    unsubscribe: 'Отписаться от наших пресс-релизов',
    unsubscribeText: 'Чтобы больше не получать наши пресс-релизы:',
    unsubscribeReply: 'Чтобы больше не получать наши пресс-релизы, ответьте на это письмо словом «unsubscribe».',
    embargoPrefix: 'ЭМБАРГО: ',
    lifted: 'ДЛЯ НЕМЕДЛЕННОЙ ПУБЛИКАЦИИ',
    readOnline: 'Читать на сайте',
  },
  pt: {
    contacts: 'Contactos de imprensa',
    links: 'Mais informações',
    phone: 'Tel.',
    email: 'E-mail',
    web: 'Web',
    unsubscribe: 'Cancelar a subscrição dos nossos comunicados',
    unsubscribeText: 'Para deixar de receber os nossos comunicados:',
    unsubscribeReply: 'Para deixar de receber os nossos comunicados, responda a este e-mail com «unsubscribe».',
    embargoPrefix: 'SOB EMBARGO: ',
    lifted: 'PARA DIVULGAÇÃO IMEDIATA',
    readOnline: 'Ler online',
  },
  pl: {
    contacts: 'Kontakt dla mediów',
    links: 'Więcej informacji',
    phone: 'Tel.',
    email: 'E-mail',
    web: 'Strona',
    unsubscribe: 'Wypisz się z naszych komunikatów prasowych',
    unsubscribeText: 'Aby nie otrzymywać więcej naszych komunikatów:',
    unsubscribeReply: 'Aby nie otrzymywać więcej naszych komunikatów, odpowiedz na tę wiadomość słowem „unsubscribe”.',
    embargoPrefix: 'EMBARGO: ',
    lifted: 'DO NATYCHMIASTOWEJ PUBLIKACJI',
    readOnline: 'Czytaj online',
  },
  ar: {
    contacts: 'جهات الاتصال الإعلامية',
    links: 'مزيد من المعلومات',
    phone: 'هاتف',
    email: 'البريد الإلكتروني',
    web: 'الموقع',
    unsubscribe: 'إلغاء الاشتراك في بياناتنا الصحفية',
    unsubscribeText: 'لإيقاف تلقي بياناتنا الصحفية:',
    unsubscribeReply: 'لإيقاف تلقي بياناتنا الصحفية، ردّ على هذه الرسالة بكلمة «unsubscribe».',
    embargoPrefix: 'محظور النشر: ',
    lifted: 'للنشر الفوري',
    readOnline: 'اقرأ على الموقع',
  },
};

/** Labels for a BCP 47 tag, by its primary subtag; English when the language has none. */
export function labelsFor(language: string): Labels {
  return LABELS[language.toLowerCase().split('-')[0] ?? ''] ?? LABELS.en!;
}

/** The languages with their own wording (the rest get English). */
export const LABELLED_LANGUAGES = Object.keys(LABELS);

/**
 * The embargo subject prefix and the lifted notice for a language. Config may give one string
 * (the wording of the default language, as before) or a map by language tag or primary subtag;
 * every other language keeps its own shipped wording, so English never leaks into a French copy.
 */
export function embargoWording(
  config: { defaultLanguage: string; embargo: { subjectPrefix?: string | Record<string, string> | undefined; liftedWording?: string | Record<string, string> | undefined } },
  language: string,
): { prefix: string; lifted: string } {
  const labels = labelsFor(language);
  return {
    prefix: pick(config.embargo.subjectPrefix, language, config.defaultLanguage) ?? labels.embargoPrefix,
    lifted: pick(config.embargo.liftedWording, language, config.defaultLanguage) ?? labels.lifted,
  };
}

function pick(value: string | Record<string, string> | undefined, language: string, defaultLanguage: string): string | undefined {
  if (value === undefined) return undefined;
  const tag = language.toLowerCase();
  const primary = tag.split('-')[0] ?? '';
  if (typeof value === 'string') {
    const own = defaultLanguage.toLowerCase();
    // One string is written in the default language: it serves that language and those with no wording of their own.
    return tag === own || primary === own.split('-')[0] || !LABELS[primary] ? value : undefined;
  }
  const lowered = Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toLowerCase(), v]));
  return lowered[tag] ?? lowered[primary];
}

/** The language's own name for a tag (e.g. "ru" → "русский" in Russian), for link hints. */
export function languageName(tag: string, inLanguage: string): string {
  try {
    return new Intl.DisplayNames([inLanguage], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

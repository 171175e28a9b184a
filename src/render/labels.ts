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
  },
};

/** Labels for a BCP 47 tag, by its primary subtag; English when the language has none. */
export function labelsFor(language: string): Labels {
  return LABELS[language.toLowerCase().split('-')[0] ?? ''] ?? LABELS.en!;
}

/** The language's own name for a tag (e.g. "ru" → "русский" in Russian), for link hints. */
export function languageName(tag: string, inLanguage: string): string {
  try {
    return new Intl.DisplayNames([inLanguage], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

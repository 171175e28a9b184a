/*
 * The one-click unsubscribe pages in the journalist's own language (the language of the copy they
 * were sent), right to left for Arabic. `{who}` is the masked address, `{org}` the organisation.
 */

export interface UnsubscribeWording {
  title: string;
  question: string;
  button: string;
  stay: string;
  doneTitle: string;
  done: string;
  alreadyTitle: string;
  already: string;
}

const WORDING: Record<string, UnsubscribeWording> = {
  en: {
    title: 'Unsubscribe',
    question: 'Unsubscribe {who} from {org} press releases?',
    button: 'Unsubscribe',
    stay: 'If you do nothing, you stay on the list. You do not need to log in.',
    doneTitle: 'Unsubscribed',
    done: 'You will not receive press releases from {org} any more.',
    alreadyTitle: 'Already unsubscribed',
    already: '{who} is already unsubscribed. You will not receive press releases from {org} any more.',
  },
  fr: {
    title: 'Désinscription',
    question: 'Désinscrire {who} des communiqués de presse de {org}\u00a0?',
    button: 'Se désinscrire',
    stay: 'Si vous ne faites rien, vous restez sur la liste. Aucune connexion n’est nécessaire.',
    doneTitle: 'Désinscription confirmée',
    done: 'Vous ne recevrez plus les communiqués de presse de {org}.',
    alreadyTitle: 'Déjà désinscrit',
    already: '{who} est déjà désinscrit. Vous ne recevrez plus les communiqués de presse de {org}.',
  },
  de: {
    title: 'Abmelden',
    question: '{who} von den Pressemitteilungen von {org} abmelden?',
    button: 'Abmelden',
    stay: 'Wenn Sie nichts tun, bleiben Sie auf der Liste. Eine Anmeldung ist nicht nötig.',
    doneTitle: 'Abgemeldet',
    done: 'Sie erhalten keine Pressemitteilungen von {org} mehr.',
    alreadyTitle: 'Bereits abgemeldet',
    already: '{who} ist bereits abgemeldet. Sie erhalten keine Pressemitteilungen von {org} mehr.',
  },
  es: {
    title: 'Darse de baja',
    question: '¿Dar de baja a {who} de los comunicados de prensa de {org}?',
    button: 'Darse de baja',
    stay: 'Si no hace nada, seguirá en la lista. No necesita iniciar sesión.',
    doneTitle: 'Baja confirmada',
    done: 'No recibirá más comunicados de prensa de {org}.',
    alreadyTitle: 'Ya dado de baja',
    already: '{who} ya está dado de baja. No recibirá más comunicados de prensa de {org}.',
  },
  it: {
    title: 'Annulla iscrizione',
    question: 'Annullare l’iscrizione di {who} ai comunicati stampa di {org}?',
    button: 'Annulla iscrizione',
    stay: 'Se non fai nulla, resti nella lista. Non serve accedere.',
    doneTitle: 'Iscrizione annullata',
    done: 'Non riceverai più comunicati stampa da {org}.',
    alreadyTitle: 'Iscrizione già annullata',
    already: '{who} non è più iscritto. Non riceverai più comunicati stampa da {org}.',
  },
  pt: {
    title: 'Cancelar subscrição',
    question: 'Cancelar a subscrição de {who} dos comunicados de imprensa de {org}?',
    button: 'Cancelar subscrição',
    stay: 'Se não fizer nada, continua na lista. Não precisa de iniciar sessão.',
    doneTitle: 'Subscrição cancelada',
    done: 'Deixará de receber comunicados de imprensa de {org}.',
    alreadyTitle: 'Subscrição já cancelada',
    already: '{who} já não está subscrito. Deixará de receber comunicados de imprensa de {org}.',
  },
  nl: {
    title: 'Afmelden',
    question: '{who} afmelden voor de persberichten van {org}?',
    button: 'Afmelden',
    stay: 'Als u niets doet, blijft u op de lijst. Inloggen is niet nodig.',
    doneTitle: 'Afgemeld',
    done: 'U ontvangt geen persberichten meer van {org}.',
    alreadyTitle: 'Al afgemeld',
    already: '{who} is al afgemeld. U ontvangt geen persberichten meer van {org}.',
  },
  pl: {
    title: 'Wypisz się',
    question: 'Wypisać {who} z komunikatów prasowych {org}?',
    button: 'Wypisz się',
    stay: 'Jeśli nic nie zrobisz, pozostaniesz na liście. Logowanie nie jest potrzebne.',
    doneTitle: 'Wypisano',
    done: 'Nie będziesz już otrzymywać komunikatów prasowych od {org}.',
    alreadyTitle: 'Już wypisano',
    already: '{who} jest już wypisany. Nie będziesz już otrzymywać komunikatów prasowych od {org}.',
  },
  ru: {
    title: 'Отписка',
    question: 'Отписать {who} от пресс-релизов {org}?',
    button: 'Отписаться',
    stay: 'Если ничего не делать, вы останетесь в списке. Входить в систему не нужно.',
    doneTitle: 'Вы отписаны',
    done: 'Вы больше не будете получать пресс-релизы {org}.',
    alreadyTitle: 'Уже отписаны',
    already: '{who} уже отписан. Вы больше не будете получать пресс-релизы {org}.',
  },
  ar: {
    title: 'إلغاء الاشتراك',
    question: 'هل تريد إلغاء اشتراك {who} في البيانات الصحفية من {org}؟',
    button: 'إلغاء الاشتراك',
    stay: 'إذا لم تفعل شيئًا، فستبقى في القائمة. لا حاجة لتسجيل الدخول.',
    doneTitle: 'تم إلغاء الاشتراك',
    done: 'لن تتلقى بعد الآن بيانات صحفية من {org}.',
    alreadyTitle: 'الاشتراك ملغى بالفعل',
    already: '{who} ألغى اشتراكه بالفعل. لن تتلقى بعد الآن بيانات صحفية من {org}.',
  },
};

const RIGHT_TO_LEFT = new Set(['ar', 'he', 'fa', 'ur']);

/** The page wording, its language tag and direction for a delivery's language (English when unknown). */
export function unsubscribeWording(language: string | undefined): { wording: UnsubscribeWording; lang: string; dir: 'ltr' | 'rtl' } {
  const primary = (language ?? '').toLowerCase().split('-')[0] ?? '';
  const lang = WORDING[primary] ? primary : 'en';
  return { wording: WORDING[lang]!, lang, dir: RIGHT_TO_LEFT.has(lang) ? 'rtl' : 'ltr' };
}

/**
 * A sentence with its slots filled. The values are HTML already (escaped by the caller) and go in
 * <bdi>, so an address or a Latin name inside Arabic text keeps its own direction.
 */
export function fill(sentence: string, values: { who?: string; org?: string }, escape: (s: string) => string): string {
  return escape(sentence).replace(/\{(who|org)\}/g, (_m, slot: 'who' | 'org') => `<bdi>${values[slot] ?? ''}</bdi>`);
}

/** The newsroom's own few words, per primary language (English for the rest). */
export interface NewsroomWords {
  newsroom: string;
  skip: string;
  languages: string;
  published: string;
  feed: string;
  empty: string;
}

const WORDS: Record<string, NewsroomWords> = {
  en: { newsroom: 'Newsroom', skip: 'Skip to content', languages: 'Other languages', published: 'Published', feed: 'Atom feed', empty: 'No releases yet.' },
  fr: { newsroom: 'Salle de presse', skip: 'Aller au contenu', languages: 'Autres langues', published: 'Publié le', feed: 'Flux Atom', empty: 'Aucun communiqué pour le moment.' },
  de: { newsroom: 'Pressebereich', skip: 'Zum Inhalt', languages: 'Andere Sprachen', published: 'Veröffentlicht', feed: 'Atom-Feed', empty: 'Noch keine Mitteilungen.' },
  es: { newsroom: 'Sala de prensa', skip: 'Ir al contenido', languages: 'Otros idiomas', published: 'Publicado', feed: 'Canal Atom', empty: 'Aún no hay comunicados.' },
  ru: { newsroom: 'Пресс-центр', skip: 'Перейти к содержанию', languages: 'Другие языки', published: 'Опубликовано', feed: 'Лента Atom', empty: 'Пока нет пресс-релизов.' },
  ar: { newsroom: 'غرفة الأخبار', skip: 'انتقل إلى المحتوى', languages: 'لغات أخرى', published: 'نُشر في', feed: 'موجز Atom', empty: 'لا توجد بيانات صحفية بعد.' },
};

export function newsroomWords(language: string): NewsroomWords {
  return WORDS[language.toLowerCase().split('-')[0] ?? ''] ?? WORDS.en!;
}

const RTL = ['ar', 'he', 'fa', 'ur', 'yi', 'ps', 'sd', 'ug', 'dv'];

/** The writing direction of a language (the same list the email uses). */
export function directionOf(language: string): 'rtl' | 'ltr' {
  return RTL.includes(language.toLowerCase().split('-')[0] ?? '') ? 'rtl' : 'ltr';
}

/** A language's own name ("Русский"), or the tag when the runtime has none. */
export function nativeName(language: string): string {
  try {
    const name = new Intl.DisplayNames([language], { type: 'language' }).of(language);
    return name ? name.charAt(0).toLocaleUpperCase(language) + name.slice(1) : language;
  } catch {
    return language;
  }
}

/** "1 December 2026" in the language, in UTC (a page is the same wherever it is read from). */
export function formatPublished(at: Date, language: string): string {
  try {
    // English as the email writes it (en-GB: "1 December 2026").
    return new Intl.DateTimeFormat(language.toLowerCase() === 'en' ? 'en-GB' : language, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(at);
  } catch {
    return at.toISOString().slice(0, 10);
  }
}

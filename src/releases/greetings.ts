/**
 * Default greeting lines per primary language (merge-field syntax). Where a language's greeting
 * reads badly with a generic fallback word, a conditional picks a formal salutation instead.
 */
const DEFAULT_GREETINGS: Record<string, string> = {
  en: 'Dear {{ first_name | "colleague" }},',
  fr: '{{#if first_name}}Bonjour {{ first_name }},{{else}}Madame, Monsieur,{{/if}}',
  de: '{{#if first_name}}Guten Tag {{ name }},{{else}}Sehr geehrte Damen und Herren,{{/if}}',
  es: 'Estimado/a {{ first_name | "colega" }}:',
  it: 'Gentile {{ first_name | "collega" }},',
  nl: 'Beste {{ first_name | "collega" }},',
  ru: '{{#if first_name}}Здравствуйте, {{ first_name }}!{{else}}Уважаемые коллеги!{{/if}}',
  pt: 'Caro/a {{ first_name | "colega" }},',
};

/** The default greeting for a BCP 47 tag, or undefined for languages without one. */
export function defaultGreeting(language: string): string | undefined {
  return DEFAULT_GREETINGS[language.toLowerCase().split('-')[0] ?? ''];
}

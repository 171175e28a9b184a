import { escapeHtml } from '../html/entities.js';

/** `a***@paper.example`: enough for the owner to recognise, too little to harvest. */
export function maskAddress(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** Headers every HTML page carries: nothing loads, nothing frames it, nothing leaks the token URL. */
export const HTML_SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cache-Control': 'no-store',
};

const STYLE = `
  :root { color-scheme: light; }
  body { margin: 0; font: 18px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1a1a1a; background: #ffffff; }
  main { max-width: 32rem; margin: 0 auto; padding: 2rem 1.25rem; }
  h1 { font-size: 1.4rem; line-height: 1.3; margin: 0 0 1rem; }
  p { margin: 0 0 1rem; }
  button { font: inherit; font-weight: 600; color: #ffffff; background: #0b4f9c; border: 2px solid #0b4f9c; border-radius: 6px; padding: 0.75rem 1.5rem; min-height: 48px; width: 100%; cursor: pointer; }
  button:hover { background: #083a73; }
  button:focus-visible { outline: 3px solid #1a1a1a; outline-offset: 3px; }
  .small { font-size: 0.9rem; color: #4a4a4a; }
`;

/**
 * A complete, self-contained page (inline CSS only, no scripts, no external resources).
 * `title` is escaped here; `bodyHtml` must already be built from escaped values.
 */
export function page(title: string, bodyHtml: string, language: { lang: string; dir: 'ltr' | 'rtl' } = { lang: 'en', dir: 'ltr' }): string {
  return `<!doctype html>
<html lang="${escapeHtml(language.lang)}" dir="${language.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${bodyHtml}
</main>
</body>
</html>
`;
}

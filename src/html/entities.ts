/*
 * Escaping for the pages the web server and the reports build. Unlike html/escape.ts (the
 * release renderer's, which also folds control characters into spaces for mail bodies) it uses
 * numeric entities and escapes the backtick too, and leaves other characters as they are.
 */

/** Text made safe to place in HTML element content and in double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Any value (undefined and null as nothing) as escaped HTML text. */
export const e = (v: unknown): string => escapeHtml(v === undefined || v === null ? '' : String(v));

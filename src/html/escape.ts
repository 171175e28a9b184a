const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// C0 controls except TAB/LF, DEL, C1 controls, and the Unicode line/paragraph separators.
const CONTROL_RE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u2028\u2029]/g;
// Everything that could break a header line or smuggle a control into a Subject.
const LINE_CONTROL_RE = /[\u0000-\u001F\u007F-\u009F\u2028\u2029\u0085]+/g;

/** Safe in HTML text and in double- or single-quoted attribute values; control runs (line breaks included) become one space. */
export function escapeHtml(value: string): string {
  return value.replace(LINE_CONTROL_RE, ' ').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** Plain-text part value: control characters (CR included) become spaces; newlines stay. */
export function neutraliseText(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(CONTROL_RE, ' ');
}

/** One-line value (Subject, header): CR, LF and every other control collapse to one space. */
export function neutraliseLine(value: string): string {
  return value.replace(LINE_CONTROL_RE, ' ');
}

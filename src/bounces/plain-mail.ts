import type { ParsedMail } from 'mailparser';

/** What analyse reads of a parsed message: mailparser's ParsedMail, or plainMail's view of a plain one. */
export type MailView = Pick<ParsedMail, 'headerLines' | 'text' | 'attachments' | 'headers' | 'messageId' | 'date' | 'subject' | 'from'>;

/** Headers whose presence means MIME structure, an encoding or a disposition: the full parser's job. */
const MIME_HEADER = /^(?:content-|mime-version$)/i;
/** One unfolded header line: a field name (printable ASCII but ':') and its value. */
const PLAIN_HEADER_LINE = /^([!-9;-~]+):(.*)$/;

/**
 * The quick path, for the mass of tiny messages in a large bounce mailbox (~60 bytes each: the
 * full MIME parser is most of their cost). A message qualifies only when the full parser would
 * read it as it stands: printable ASCII with LF line ends, unfolded headers, none about MIME or
 * content, one Subject, no encoded words. Then its text is its body and its subject the trimmed
 * header value (what mailparser gives). Anything else: undefined, and the full parser runs.
 */
export function plainMail(raw: Buffer): MailView | undefined {
  if (raw.length > 64 * 1024) return undefined;
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if ((b < 0x20 && b !== 0x0a && b !== 0x09) || b > 0x7e) return undefined;
  }
  const text = raw.toString('latin1');
  const end = text.indexOf('\n\n');
  if (end <= 0 || text.slice(0, end).includes('=?')) return undefined;
  const headerLines: { key: string; line: string }[] = [];
  let subject: string | undefined;
  for (const line of text.slice(0, end).split('\n')) {
    const m = PLAIN_HEADER_LINE.exec(line);
    if (!m || MIME_HEADER.test(m[1]!)) return undefined;
    const key = m[1]!.toLowerCase();
    if (key === 'subject') {
      if (subject !== undefined) return undefined;
      subject = m[2]!.trim();
    }
    headerLines.push({ key, line });
  }
  const body = text.slice(end + 2);
  return { headerLines, text: body === '' ? undefined : body, attachments: [], headers: new Map(), messageId: undefined, date: undefined, subject, from: undefined };
}

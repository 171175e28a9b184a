/**
 * Where a report keeps what it is about: our original message as it quotes it (an attached part, a
 * part the MIME parser rendered into the text, or prose after a marker line), and a delivery-status
 * part or body that a broken MIME structure left in the raw text.
 */
import type { Attachment, ParsedMail } from 'mailparser';
import { FieldBlock, firstAddress, normaliseMessageId, normaliseNewlines, parseFields } from './dsn-fields.js';

/** Headers of our original message as a report quotes them. */
export interface OriginalMessage {
  messageId: string | undefined;
  to: string | undefined;
  returnPath: string | undefined;
  /** Our X-Pressline-Campaign header. */
  campaign: string | undefined;
}

export const DSN_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const ORIGINAL_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/rfc822-headers', 'text/rfc822-header', 'message/global-headers']);

// Where prose bounces start quoting the original message.
const INLINE_ORIGINAL = [
  /^-+ ?This is a copy of the message,? including all the headers\.? ?-+[ \t]*$/im,
  /^-+ ?This is a copy of the message's headers\.? ?-+[ \t]*$/im,
  /^--- Below this line is a copy of the message\.?[ \t]*$/im,
  /^-+ ?(?:Original message|Original message follows|Forwarded message|Undelivered message)\b.*$/im,
  /^Original message headers:[ \t]*$/im,
  // DragonFly, IMail, GMX/1&1, Notes, V5 Sendmail, OpenSMTPD.
  /^Message headers follow\.?[ \t]*$/im,
  /^Original message follows\.?[ \t]*$/im,
  /^-+ ?The header of the original message is following\.? ?-+[ \t]*$/im,
  /^-+ ?Returned Message ?-+[ \t]*$/im,
  /^[ \t]*-+ ?Unsent message follows ?-+[ \t]*$/im,
  /^[ \t]*Below is a copy of the original message:?[ \t]*$/im,
];

// A delivery-status part as raw text: its Content-Type line, its header block, then its fields.
const RAW_DSN_PART = /^Content-Type:[ \t]*message\/(?:global-)?delivery-status\b.*(?:\n(?!\n).*)*\n\n/im;

/** The text of a delivery-status part the MIME parser did not separate (a broken boundary), if any. */
export function rawDeliveryStatus(raw: string): string | undefined {
  const t = normaliseNewlines(raw.slice(0, 256 * 1024));
  const m = RAW_DSN_PART.exec(t);
  if (!m) return undefined;
  const rest = t.slice(m.index + m[0].length);
  const boundary = /^--\S/m.exec(rest);
  return boundary ? rest.slice(0, boundary.index) : rest;
}

/** The body of a raw message (after its header block), LF-normalised. */
export function rawBody(raw: string): string {
  const t = normaliseNewlines(raw.slice(0, 256 * 1024));
  const blank = t.indexOf('\n\n');
  return blank === -1 ? '' : t.slice(blank + 2);
}

/** The report's own headers as raw, unfolded text (mailparser's structured values lose the address form). */
export function headerBlock(mail: Pick<ParsedMail, 'headerLines'>): FieldBlock {
  return parseFields((mail.headerLines ?? []).map((h) => h.line).join('\n'));
}

export function partText(a: Attachment): string {
  return normaliseNewlines(a.content.toString('utf8'));
}

// mailparser renders an inline message/rfc822 part into the text (From, To, Subject, Date only)
// instead of keeping it as an attachment; the Message-ID is only in the raw part.
const RAW_ORIGINAL_PART = /^Content-Type:[ \t]*"?(?:message\/rfc822|message\/global|text\/rfc822-headers?|message\/rfc822-headers)\b.*(?:\n(?!\n).*)*\n\n/im;

export function findOriginal(attachments: Attachment[], text: string, raw: string): { block: FieldBlock; info: OriginalMessage; found: boolean } {
  let block: FieldBlock | undefined;
  const part = attachments.find((a) => ORIGINAL_TYPES.has(a.contentType.toLowerCase()));
  if (part) block = parseFields(partText(part));
  if (!block || block.size === 0) {
    const m = RAW_ORIGINAL_PART.exec(raw);
    if (m) block = parseFields(raw.slice(m.index + m[0].length));
  }
  if (!block || block.size === 0) {
    for (const marker of INLINE_ORIGINAL) {
      const m = marker.exec(text);
      if (!m) continue;
      const candidate = parseFields(text.slice(m.index + m[0].length));
      if (candidate.size > 0) {
        block = candidate;
        break;
      }
    }
  }
  block ??= new FieldBlock();
  return {
    block,
    found: block.size > 0,
    info: {
      messageId: normaliseMessageId(block.get('message-id')),
      to: firstAddress(block.get('to')),
      returnPath: firstAddress(block.get('return-path')),
      campaign: block.get('x-pressline-campaign'),
    },
  };
}

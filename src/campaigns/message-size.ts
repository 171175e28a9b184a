import type { Contact } from '../lists/contact.js';
import { describeAttachments, formatBytes } from '../releases/attachments.js';
import type { CompiledRelease } from '../render/types.js';

/*
 * The plan says how large a message is before anything goes out: newsroom servers refuse large
 * mail, and an attachment nobody meant to send is best seen in the plan.
 */

const SAMPLE: Contact = {
  email: 'sample@example.org',
  key: 'sample@example.org',
  domain: 'example.org',
  firstName: 'Sample',
  lastName: 'Journalist',
  outlet: 'Sample Outlet',
  tags: [],
  language: '',
  country: '',
  timeZone: '',
  extra: {},
  source: { file: '(plan)', line: 0 },
};

/** A contact with sample values, each extra column as `[Column]`, for test copies and size estimates. */
export function sampleContact(columns: string[] = []): Contact {
  return { ...SAMPLE, extra: Object.fromEntries(columns.map((c) => [c, `[${c}]`])) };
}

/** The bytes of the largest variant's HTML and text for a sample contact (merge fields add little). */
export function sampleBodyBytes(compiled: CompiledRelease): number {
  let largest = 0;
  for (const v of compiled.variants) {
    const m = v.render(SAMPLE, { unsubscribe_url: 'https://unsubscribe.invalid/plan' });
    largest = Math.max(largest, Buffer.byteLength(m.html) + Buffer.byteLength(m.text) + Buffer.byteLength(m.subject));
  }
  return largest;
}

/** The plan's "Attachments" line: each file with its size, and one message's size, e.g. `factsheet.pdf 120 kB; message about 180 kB`. */
export function attachmentsLine(compiled: CompiledRelease): string {
  return `Attachments ${describeAttachments(compiled.release.attachments, sampleBodyBytes(compiled))}`;
}

/** Gmail shows "[Message clipped]" and hides the rest of an HTML body above this size. */
export const GMAIL_CLIP_BYTES = 102 * 1024;
/** Warned from here on: merge fields, a longer name or a tracking proxy can add the rest. */
export const CLIP_WARN_BYTES = 90 * 1024;

/** Each variant's HTML bytes for a sample contact, in variant order. */
export function htmlSizes(compiled: CompiledRelease): { language: string; bytes: number }[] {
  return compiled.variants.map((v) => ({ language: v.language, bytes: Buffer.byteLength(v.render(SAMPLE, { unsubscribe_url: 'https://unsubscribe.invalid/plan' }).html) }));
}

/** `en 19 kB, ru 22 kB (Gmail clips above 104 kB)`: the plan's and render's HTML line. */
export function describeHtmlSizes(sizes: { language: string; bytes: number }[]): string {
  return `${sizes.map((s) => `${s.language} ${formatBytes(s.bytes)}`).join(', ')} (Gmail clips above ${formatBytes(GMAIL_CLIP_BYTES)})`;
}

/**
 * A warning for each variant whose HTML Gmail would clip or nearly: what is clipped is the end,
 * where the press contacts and the unsubscribe link are.
 */
export function clipWarnings(sizes: { language: string; bytes: number }[]): string[] {
  return sizes
    .filter((s) => s.bytes >= CLIP_WARN_BYTES)
    .map((s) =>
      s.bytes > GMAIL_CLIP_BYTES
        ? `the ${s.language} HTML is ${formatBytes(s.bytes)}: Gmail clips above ${formatBytes(GMAIL_CLIP_BYTES)}, hiding the press contacts and the unsubscribe link; shorten the release or move tables and annexes to a linked page`
        : `the ${s.language} HTML is ${formatBytes(s.bytes)}, close to Gmail's clipping at ${formatBytes(GMAIL_CLIP_BYTES)}; long merge values could push it over`,
    );
}

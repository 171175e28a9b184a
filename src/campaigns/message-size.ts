import type { Contact } from '../lists/contact.js';
import { describeAttachments } from '../releases/attachments.js';
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

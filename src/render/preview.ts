import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Contact } from '../lists/contact.js';
import type { ReleaseVariant } from '../releases/types.js';
import type { CompiledRelease, CompiledVariant, RenderedMessage } from './compile.js';
import { buildMime, type Address, type OutgoingMessage } from './mime.js';

/** The recipient previews are addressed to when no contact is chosen: every merge field empty. */
export function placeholderContact(email = 'journalist@example.com'): Contact {
  const [local = 'journalist', domain = 'example.com'] = email.split('@');
  return {
    email,
    key: `${local.toLowerCase()}@${domain.toLowerCase()}`,
    domain: domain.toLowerCase(),
    firstName: '',
    lastName: '',
    outlet: '',
    tags: [],
    language: '',
    country: '',
    timeZone: '',
    extra: {},
    source: { file: '(preview)', line: 0 },
  };
}

/** From: the release's own, else the config's, else the organisation at a placeholder address. */
export function senderFor(variant: ReleaseVariant, config: Config): Address {
  if (variant.from) return { ...variant.from };
  if (config.from) return { ...config.from };
  return { name: variant.organisation?.name ?? 'Press office', address: 'press@example.invalid' };
}

/** A Message-ID that depends only on the content and the recipient, so re-rendering is byte-stable. */
export function deterministicMessageId(message: RenderedMessage, to: string, from: Address): string {
  const hash = createHash('sha256').update(`${to}\n${message.subject}\n${message.text}\n${message.html}`).digest('hex').slice(0, 32);
  const domain = from.address.split('@')[1] ?? 'pressline.invalid';
  return `<${hash}@${domain}>`;
}

/** The complete outgoing message for one recipient of one variant. */
export function outgoingFor(
  variant: CompiledVariant,
  contact: Contact,
  options: { config: Config; date: Date; unsubscribeUrl?: string },
): OutgoingMessage {
  const source = variant.source;
  const rendered = variant.render(contact, options.unsubscribeUrl ? { unsubscribe_url: options.unsubscribeUrl } : {});
  const from = senderFor(source, options.config);
  const replyTo = source.replyTo ?? options.config.replyTo;
  return {
    from,
    to: contact.email,
    ...(replyTo ? { replyTo } : {}),
    ...(options.config.sender ? { sender: options.config.sender } : {}),
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    messageId: deterministicMessageId(rendered, contact.email, from),
    date: options.date,
    headers: { 'Content-Language': variant.language },
    attachments: source.attachments.map((a) => ({ filename: a.filename, path: a.path })),
  };
}

/** One written preview: the variant and the three files. */
export interface PreviewFiles {
  language: string;
  html: string;
  text: string;
  eml: string;
}

/** Writes a batch of files; given all at once so it can refuse before writing any. */
export type WriteFiles = (files: { path: string; data: string | Buffer }[]) => void | Promise<void>;

/**
 * Writes `<out>/<lang>.html`, `.txt` and `.eml` for each variant (or, given a contact, for the
 * variant that contact gets). The .eml is a complete message a mail client opens. Every message is
 * built before `write` (default: plain writes) sees any file.
 */
export async function writePreviews(
  compiled: CompiledRelease,
  options: { config: Config; out: string; date: Date; contact?: Contact; write?: WriteFiles },
): Promise<PreviewFiles[]> {
  await mkdir(options.out, { recursive: true });
  const pending: { path: string; data: string | Buffer }[] = [];
  const contact = options.contact ?? placeholderContact();
  const variants = options.contact ? [compiled.pickVariant(options.contact)] : compiled.variants;
  const mailto = options.config.unsubscribe.mailto;
  const unsubscribeUrl = mailto ? `mailto:${mailto}?subject=unsubscribe` : undefined;
  const written: PreviewFiles[] = [];
  for (const variant of variants) {
    const message = outgoingFor(variant, contact, { config: options.config, date: options.date, ...(unsubscribeUrl ? { unsubscribeUrl } : {}) });
    const base = join(options.out, variant.language);
    const files = { language: variant.language, html: `${base}.html`, text: `${base}.txt`, eml: `${base}.eml` };
    pending.push({ path: files.html, data: message.html }, { path: files.text, data: message.text }, { path: files.eml, data: await buildMime(message) });
    written.push(files);
  }
  if (options.write) await options.write(pending);
  else for (const f of pending) await writeFile(f.path, f.data);
  return written;
}

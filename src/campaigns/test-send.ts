import { randomBytes } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../time/clock.js';
import type { Env } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { PresslineError } from '../errors.js';
import type { Contact } from '../lists/contact.js';
import { checkEmail } from '../lists/email.js';
import { loadLists } from '../lists/load.js';
import { readAttachmentContents } from '../releases/attachments.js';
import { loadRelease } from '../releases/load.js';
import type { Release } from '../releases/types.js';
import { compileRelease } from '../render/compile.js';
import type { CompiledRelease } from '../render/types.js';
import { composeContext, composeMail, unsubscribeUrl } from '../send/compose.js';
import type { Transport } from '../send/transport.js';
import type { Store } from '../store/types.js';
import { sampleContact } from './message-size.js';
import { templatePath } from './plan.js';

/*
 * Test sends (issue 19): one copy of each language variant to each test address, built by the
 * same composer as a real send (subject marked [TEST], X-Pressline-Test), sent through the same
 * transport, and kept apart from campaigns: nothing is stored in the campaign store, no one is
 * suppressed or counted, and each copy is one line of `logs/test-sends.ndjson`.
 */

export interface TestSendInput {
  releaseFile: string;
  to: string[];
  /** Lists that hold `contact` (or whose columns the release merges). */
  lists?: string[] | undefined;
  /** Render with this contact's values instead of sample ones. */
  contact?: string | undefined;
  encoding?: string | undefined;
  templateFile?: string | undefined;
}

export interface TestSendPlan {
  release: Release;
  compiled: CompiledRelease;
  to: string[];
  contact: Contact;
  /** Whose values the copies carry, for the plan: "sample values" or the contact and its line. */
  valuesFrom: string;
}

export interface TestCopy {
  language: string;
  to: string;
  subject: string;
  messageId: string;
  accepted: boolean;
  response: string;
}

/** Reads the release (and the contact, when asked) and compiles it as of now. Sends nothing. */
export async function prepareTestSend(input: TestSendInput, deps: { config: Config; clock: Clock }): Promise<TestSendPlan> {
  const to = input.to.map((raw) => {
    const checked = checkEmail(raw);
    if (!checked.ok) throw new PresslineError('USAGE', `--test-to ${JSON.stringify(raw)}: ${checked.reason}`);
    return checked.email;
  });
  if (input.contact && !input.lists?.length) throw new PresslineError('USAGE', '--contact needs --list: the list the contact is in');
  const release = await loadRelease(input.releaseFile, deps.config);
  let contact: Contact | undefined;
  let columns: string[] = [];
  if (input.lists?.length) {
    const wanted = input.contact?.trim().toLowerCase();
    const report = await loadLists(input.lists, {
      where: [],
      encoding: input.encoding,
      onContact: (c) => {
        if (wanted !== undefined && contact === undefined && (c.key === wanted || c.email.toLowerCase() === wanted)) contact = c;
      },
    });
    columns = report.columns;
    if (wanted !== undefined && !contact) throw new PresslineError('NOT_FOUND', `no contact ${input.contact} in ${input.lists.join(', ')}`);
  }
  const compiled = await compileRelease(release, { config: deps.config, now: deps.clock.now(), columns, templateFile: templatePath(deps.config, input.templateFile) });
  const sample = sampleContact(columns);
  return {
    release,
    compiled,
    to,
    contact: contact ?? sample,
    valuesFrom: contact ? `${contact.email} (${contact.source.file}:${contact.source.line})` : 'sample values',
  };
}

/**
 * Sends every variant to every test address and appends each outcome to the test-send log.
 * A refused copy is reported, never retried: the person testing is watching.
 */
export async function sendTestCopies(plan: TestSendPlan, deps: { config: Config; env: Env; store: Store; clock: Clock }, transport: Transport): Promise<TestCopy[]> {
  const ctx = composeContext(deps.config, 0, { secret: deps.env.secret, test: true, instance: await deps.store.instanceId(), attachments: await readAttachmentContents(plan.release.attachments) });
  const copies: TestCopy[] = [];
  try {
    for (const variant of plan.compiled.variants) {
      for (const address of plan.to) {
        const key = address.toLowerCase();
        const contact = { ...plan.contact, email: address, key, domain: key.slice(key.lastIndexOf('@') + 1), language: variant.language };
        const delivery = { id: 0, key, contact, messageId: testMessageId(ctx.from.address) };
        // Campaign 0, delivery 0: the link looks real but names no delivery, so it unsubscribes no one.
        const unsubscribe = unsubscribeUrl(ctx, delivery);
        const rendered = variant.render(contact, unsubscribe ? { unsubscribe_url: unsubscribe } : {});
        const now = deps.clock.now();
        // The outbox file name: one per copy, in the order they were made.
        const tag = `${now.toISOString().replace(/[-:.]/g, '')}-${variant.language}-${key.replace(/[^a-z0-9._@-]/g, '_')}`;
        const mail = { ...composeMail(ctx, delivery, rendered, unsubscribe, now), tag };
        const result = await transport.send(mail);
        copies.push({ language: variant.language, to: address, subject: mail.subject, messageId: mail.messageId, accepted: result.accepted, response: result.response });
      }
    }
  } finally {
    await transport.close();
    await logTestCopies(deps.config, plan, copies, deps.clock.now());
  }
  return copies;
}

function testMessageId(fromAddress: string): string {
  const domain = fromAddress.split('@').pop() ?? 'pressline.invalid';
  return `<pressline.test.${randomBytes(12).toString('hex')}@${domain}>`;
}

/** The record of test sends, apart from every campaign's delivery log. */
export function testSendLogFile(config: Config): string {
  return join(config.paths.logs, 'test-sends.ndjson');
}

async function logTestCopies(config: Config, plan: TestSendPlan, copies: TestCopy[], at: Date): Promise<void> {
  if (copies.length === 0) return;
  await mkdir(config.paths.logs, { recursive: true });
  const lines = copies.map((c) => JSON.stringify({ time: at.toISOString(), release: plan.release.variants[0]!.file, valuesFrom: plan.valuesFrom, ...c }));
  await appendFile(testSendLogFile(config), lines.join('\n') + '\n');
}

/** One line of the test-send log, as written by sendTestCopies. */
export interface LoggedTestCopy extends TestCopy {
  time: string;
  release: string;
  valuesFrom: string;
}

/** The test copies sent so far, oldest first (none when nothing was ever tested); a line that is not ours is skipped. */
export async function readTestSends(config: Config): Promise<LoggedTestCopy[]> {
  let text: string;
  try {
    text = await readFile(testSendLogFile(config), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PresslineError('FILE_UNREADABLE', `cannot read the test-send log (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { file: testSendLogFile(config) });
  }
  const copies: LoggedTestCopy[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const c = JSON.parse(line) as LoggedTestCopy;
      if (typeof c.time === 'string' && typeof c.to === 'string') copies.push(c);
    } catch {
      // A torn last line (a crash mid-append) is not worth stopping the listing for.
    }
  }
  return copies;
}

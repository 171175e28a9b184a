import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { configFilePath, validateConfig } from '../config/load.js';
import { PresslineError } from '../errors.js';
import type { Address } from '../mime/address.js';
import { writeOutFiles, type ProtectedFile } from './out-file.js';

interface InitFlags {
  organisation?: string;
  from?: string;
  replyTo?: string;
  language?: string;
  zone?: string;
  force?: boolean;
}

/** The answers init needs, each with its flag (for errors) and its question (for the prompt). */
const FIELDS = [
  { key: 'organisation', flag: '--organisation', question: 'Organisation name (printed in every footer)' },
  { key: 'from', flag: '--from', question: 'From address, e.g. "Press Office <press@your-org.org>"' },
  { key: 'replyTo', flag: '--reply-to', question: 'Reply-To address' },
  { key: 'language', flag: '--language', question: 'Default language (BCP 47, e.g. en, fr, pt-BR)' },
  { key: 'zone', flag: '--zone', question: 'Time zone (IANA, e.g. Europe/Brussels)' },
] as const;

const email = z.email();
/** Names go into From:/Reply-To: headers; a control character there would break (or forge) a header. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/** `Press Office <press@org.org>` or `press@org.org` → a mailbox; one line naming the flag otherwise. */
export function parseMailbox(value: string, flag: string): Address {
  if (CONTROL.test(value)) throw new PresslineError('USAGE', `${flag}: no line breaks or control characters, please`);
  const m = /^\s*(?:"?([^"<]*?)"?\s*<([^<>]+)>|([^<>\s]+))\s*$/.exec(value);
  const address = (m?.[2] ?? m?.[3] ?? '').trim();
  if (!m || !email.safeParse(address).success) {
    throw new PresslineError('USAGE', `${flag}: "${value}" is not an email address; write press@your-org.org or "Press Office <press@your-org.org>"`);
  }
  const name = m[1]?.trim();
  return name ? { name, address } : { address };
}

function checkLanguage(tag: string): string {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag);
    if (canonical) return canonical;
  } catch {
    /* below */
  }
  throw new PresslineError('USAGE', `--language: "${tag}" is not a language tag; write en, fr, de-CH, pt-BR …`);
}

function checkZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new PresslineError('USAGE', `--zone: "${zone}" is not a time zone; write an IANA name such as Europe/London or America/New_York`);
  }
}

/** Asks for what the flags left out, on a terminal; off one, names the missing flags instead. */
async function completeAnswers(flags: InitFlags): Promise<Required<Omit<InitFlags, 'force'>>> {
  const systemZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const defaults = { language: 'en', zone: systemZone } as Record<string, string | undefined>;
  const { force: _force, ...given } = flags;
  const answers: Record<string, string | undefined> = { ...given };
  const missing = FIELDS.filter((f) => !answers[f.key]?.trim());
  const interactive = process.stdin.isTTY && process.stderr.isTTY;
  if (missing.length > 0 && interactive) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    // Lines are read through the iterator, which queues them: answers pasted at once are not lost.
    const lines = rl[Symbol.asyncIterator]();
    try {
      for (const f of missing) {
        const fallback = f.key === 'replyTo' ? answers.from : defaults[f.key];
        process.stderr.write(`${f.question}${fallback ? ` [${fallback}]` : ''}: `);
        const next = await lines.next();
        if (next.done) break; // input closed (Ctrl-D): the missing answers are named below
        answers[f.key] = String(next.value).trim() || fallback;
      }
    } finally {
      rl.close();
    }
  } else {
    // Off a terminal the optional ones take their defaults; who sends cannot be guessed.
    answers.replyTo ||= answers.from;
    answers.language ||= defaults.language;
    answers.zone ||= defaults.zone;
  }
  const stillMissing = FIELDS.filter((f) => !answers[f.key]?.trim()).map((f) => f.flag);
  if (stillMissing.length > 0) {
    throw new PresslineError('USAGE', `${interactive ? 'no answer for' : 'not a terminal, so nobody can be asked: pass'} ${stillMissing.join(' and ')} (e.g. pressline init --organisation "Your Org" --from "Press Office <press@your-org.org>")`);
  }
  return answers as Required<Omit<InitFlags, 'force'>>;
}

/** `.env`: the example's variables (commented as there) with a fresh secret; an existing file keeps its lines. */
export function envFileText(existing: string | undefined, example: string | undefined, secret: string): { text: string; keptSecret: boolean } {
  const base = existing ?? example ?? '# pressline settings from the environment; never commit this file.\nPRESSLINE_SECRET=\n';
  const current = /^\s*PRESSLINE_SECRET\s*=\s*(\S.*)$/m.exec(existing ?? '');
  // Replacing a secret in use would void every unsubscribe link and bounce address already sent.
  if (current && current[1]!.trim() !== '') return { text: base, keptSecret: true };
  const line = `PRESSLINE_SECRET=${secret}`;
  const text = /^\s*PRESSLINE_SECRET\s*=.*$/m.test(base) ? base.replace(/^\s*PRESSLINE_SECRET\s*=.*$/m, line) : `${base.replace(/\n?$/, '\n')}${line}\n`;
  return { text, keptSecret: false };
}

function readIfThere(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('creates the config file for your press office and a .env with a fresh PRESSLINE_SECRET (asks on a terminal for what the flags leave out)')
    .option('--organisation <name>', 'organisation name, printed in every footer')
    .option('--from <address>', 'sender: press@your-org.org or "Press Office <press@your-org.org>"')
    .option('--reply-to <address>', 'where replies go (default: the sender)')
    .option('--language <tag>', 'default language for contacts without one (default en)')
    .option('--zone <zone>', 'default time zone for schedules (default: this machine\'s)')
    .option('--force', 'replace an existing config file; an existing .env keeps its lines and its PRESSLINE_SECRET')
    .addHelpText('after', '\nExample:\n  pressline init --organisation "Greenpeace EU Unit" --from "Press Desk <press@greenpeace.example>" --zone Europe/Brussels\n')
    .action(async (flags: InitFlags) => {
      const configPath = configFilePath(program.opts().config as string | undefined);
      const envPath = resolve('.env');
      const answers = await completeAnswers(flags);
      const from = parseMailbox(answers.from, '--from');
      const replyTo = parseMailbox(answers.replyTo, '--reply-to');
      if (CONTROL.test(answers.organisation)) throw new PresslineError('USAGE', '--organisation: no line breaks or control characters, please');
      const config = {
        from: { name: from.name ?? answers.organisation.trim(), address: from.address },
        replyTo: { name: replyTo.name ?? from.name ?? answers.organisation.trim(), address: replyTo.address },
        organisation: { name: answers.organisation.trim() },
        defaultLanguage: checkLanguage(answers.language.trim()),
        defaultTimeZone: checkZone(answers.zone.trim()),
      };
      validateConfig(config, configPath); // the file must load as written
      const existingEnv = readIfThere(envPath);
      const env = envFileText(existingEnv, readIfThere(resolve('.env.example')), randomBytes(32).toString('hex'));
      // The store is never a target, whatever --config or a symlink says.
      const stores: ProtectedFile[] = [process.env.PRESSLINE_DB, 'data/pressline.db']
        .filter((f): f is string => Boolean(f))
        .flatMap((f) => ['', '-wal', '-shm', '-journal'].map((s) => ({ path: resolve(f + s), what: 'the SQLite store' })));
      mkdirSync(dirname(configPath), { recursive: true });
      writeOutFiles(
        [
          { path: configPath, data: `${JSON.stringify(config, null, 2)}\n` },
          { path: envPath, data: env.text },
        ],
        { force: Boolean(flags.force), protected: stores },
      );
      // The secret signs every unsubscribe and bounce token: only its owner reads it.
      if (existingEnv === undefined) chmodSync(envPath, 0o600);
      const show = (p: string) => relative(process.cwd(), p) || p;
      process.stdout.write(`wrote ${show(configPath)} (sending as ${config.from.name} <${config.from.address}>)\n`);
      process.stdout.write(`${existsSync(envPath) && existingEnv !== undefined ? 'updated' : 'wrote'} ${show(envPath)} (${env.keptSecret ? 'kept its PRESSLINE_SECRET: changing it would break links already sent' : 'a fresh PRESSLINE_SECRET'})\n`);
      process.stdout.write('Next: set SMTP_URL in .env, then run `pressline doctor`.\n');
    });
}

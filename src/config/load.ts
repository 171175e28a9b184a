import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import dotenv from 'dotenv';
import YAML from 'yaml';
import { z } from 'zod';
import { PresslineError } from '../errors.js';
import { configSchema, type Config } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'config/pressline.json';

/** Secrets and switches that come only from the environment (or .env), never from config files. */
export interface Env {
  smtpUrl: string | undefined;
  databaseUrl: string | undefined;
  sqliteFile: string | undefined;
  /** HMAC key for unsubscribe and VERP tokens. */
  secret: string | undefined;
  dashboardToken: string | undefined;
  /** Where relay URLs are looked up by the variable names config `relays` gives (process.env). */
  vars?: Record<string, string | undefined>;
}

/** Loads `.env` into process.env without overriding variables the shell already set. */
export function loadDotenv(cwd = process.cwd()): void {
  const file = resolve(cwd, '.env');
  if (existsSync(file)) dotenv.config({ path: file, quiet: true });
}

export function readEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const get = (k: string) => (env[k] && env[k]!.trim() !== '' ? env[k]!.trim() : undefined);
  return {
    smtpUrl: get('SMTP_URL'),
    databaseUrl: get('DATABASE_URL'),
    sqliteFile: get('PRESSLINE_DB'),
    secret: get('PRESSLINE_SECRET'),
    dashboardToken: get('PRESSLINE_DASHBOARD_TOKEN'),
    vars: env,
  };
}

/** The absolute path `loadConfig` reads for this `--config` value (whether or not the file exists). */
export function configFilePath(file?: string, cwd = process.cwd()): string {
  return resolve(cwd, file ?? configFromEnv() ?? DEFAULT_CONFIG_FILE);
}

/** PRESSLINE_CONFIG, unless empty: a .env copied from .env.example sets it to "" (meaning unset). */
function configFromEnv(): string | undefined {
  return process.env.PRESSLINE_CONFIG?.trim() || undefined;
}

/**
 * Reads and validates the config file, which must exist: running on built-in defaults would send
 * as nobody in particular, so a missing default file points at `pressline init`. Every problem
 * names the file and the key.
 */
export function loadConfig(file?: string, cwd = process.cwd()): Config {
  const explicit = file ?? configFromEnv();
  const path = configFilePath(file, cwd);
  let raw: unknown;
  if (existsSync(path)) {
    raw = parseConfigText(readText(path), path);
  } else if (explicit) {
    throw new PresslineError('CONFIG_UNREADABLE', `config file not found; check the path given to --config or PRESSLINE_CONFIG, or run \`pressline init --config <file>\` to create it`, { file: path });
  } else {
    throw new PresslineError('CONFIG_UNREADABLE', `no config file yet; run \`pressline init\` to create one for your press office (or try the example with --config config/examples/amnesty.json)`, { file: path });
  }
  return validateConfig(raw, path);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new PresslineError('CONFIG_UNREADABLE', `cannot read config: ${(err as Error).message}`, { file: path });
  }
}

function parseConfigText(text: string, path: string): unknown {
  if (/\.ya?ml$/i.test(path)) {
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw new PresslineError('CONFIG_INVALID', `malformed YAML: ${e.message.split('\n')[0]}`, { file: path, line: e.linePos?.[0]?.line });
    }
    return doc.toJS() ?? {};
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new PresslineError('CONFIG_INVALID', `malformed JSON: ${(err as Error).message}`, { file: path });
  }
}

/** Validates a parsed config object; the error lists every bad key with its dotted path. */
export function validateConfig(raw: unknown, path = DEFAULT_CONFIG_FILE): Config {
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) {
    // Folders in the config are meant from where the config sits, not from where pressline runs.
    const dirs = parsed.data.attachments.allowedDirs;
    parsed.data.attachments.allowedDirs = dirs.map((d) => resolve(dirname(resolve(path)), d));
    const quarantine = parsed.data.bounces.quarantineDir;
    if (quarantine !== undefined) parsed.data.bounces.quarantineDir = resolve(dirname(resolve(path)), quarantine);
    const doNotTrack = parsed.data.tracking.doNotTrack;
    if (doNotTrack !== undefined) parsed.data.tracking.doNotTrack = resolve(dirname(resolve(path)), doNotTrack);
    return parsed.data;
  }
  throw new PresslineError('CONFIG_INVALID', describeIssues(parsed.error), { file: path });
}

/** One line per schema problem: `key.path: what is wrong`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const at = issue.path.map(String).join('.');
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => (at ? `${at}.${k}` : k)).join(', ');
        return `unknown key ${keys} (check the spelling; see config/pressline.example.json)`;
      }
      return `${at || '(top level)'}: ${issue.message}`;
    })
    .join('; ');
}

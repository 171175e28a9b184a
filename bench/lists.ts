/**
 * Journalist-list loading against plain csv-parse over the same file.
 * Targets: pressline loadLists at >= 0.7x the rows/s of plain csv-parse; peak RSS < 300 MB at 1M rows.
 */
import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
/** bench/.data at the project root (gitignored), also when running compiled from dist/bench. */
const ROOT = here.endsWith(join('dist', 'bench')) ? join(here, '..', '..') : join(here, '..');
const DATA_DIR = join(ROOT, 'bench', '.data');
const CHILD = join(here, 'lists-child.js');
const RUNS = 3;

const FIRST = ['Anna', 'Helen', 'Tom', 'Priya', 'Orla', 'James', 'Maria', 'Daniel', 'Sara', 'Kemi', 'Ivan', 'Elena', 'Dmitri', 'Olga', 'Claire', 'Julien', 'Katrin', 'Markus', 'Pieter', 'Eline', 'Amélie', 'Jürgen', 'Анна', 'Сергей'];
const LAST = ['Whitfield', 'Barraclough', 'Nair', 'McKenna', 'Holloway', 'Ortega', 'Ferguson', 'Lindqvist', 'Adeyemi', 'Petrov', 'Sokolova', 'Volkov', 'Dubois', 'Moreau', 'Brandt', 'Hoffmann', 'de Jong', 'van den Berg', "O'Neill", 'Lefèvre', 'Соколова', 'Орлов'];
const OUTLETS: [string, string][] = [
  ['The Daily Ledger', 'dailyledger.example'],
  ['Northern Wire', 'northernwire.example'],
  ['"Smith, Jones & Partners"', 'smithjones.example.com'],
  ['Le Monde', 'lemonde.example'],
  ['Süddeutsche Zeitung', 'sueddeutsche.example'],
  ['Новая газета Европа', 'novayagazeta.example'],
  ['NRC', 'nrc.example'],
  ['"The Capitol Post, Washington"', 'capitolpost.example'],
  ['WireFeed Agency', 'wirefeed.example.net'],
  ['BBC Russian', 'bbc.example'],
];
const BEATS = ['russia', '"russia, foreign"', 'human-rights', '"eu-affairs, trade"', 'defence', '"foreign, diplomacy, russia"', 'eu-affairs'];
const LANGS = ['en', 'ru', 'fr', 'de', 'nl', 'en-GB', 'ru', 'en', ''];
const PLACES: [string, string][] = [
  ['United Kingdom', 'Europe/London'],
  ['Belgium', 'Europe/Brussels'],
  ['Latvia', 'Europe/Riga'],
  ['Germany', 'Europe/Berlin'],
  ['France', 'Europe/Paris'],
  ['United States', 'America/New_York'],
  ['Netherlands', 'Europe/Amsterdam'],
  ['Czechia', 'Europe/Prague'],
];
const DESKS = ['Foreign', 'Politics', '"News, Europe"', 'Analysis', 'Русская служба', ''];

/** Small deterministic PRNG (mulberry32): the same rows every time, so a cached file stays valid. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes (or reuses) a list of `rows` unique contacts; returns its path and size. */
export async function generateList(rows: number): Promise<{ file: string; bytes: number }> {
  await mkdir(DATA_DIR, { recursive: true });
  const file = join(DATA_DIR, `journalists-${rows}.csv`);
  const meta = `${file}.json`;
  try {
    const recorded = JSON.parse(await readFile(meta, 'utf8')) as { rows: number; bytes: number };
    const { size } = await stat(file);
    if (recorded.rows === rows && recorded.bytes === size) return { file, bytes: size };
  } catch {
    // absent or stale: generate
  }
  const rand = prng(20240611);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const out = createWriteStream(file);
  out.write('Email,First Name,Last Name,Outlet,Beat,Language,Country,Time Zone,Desk\r\n');
  let batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    const [outlet, domain] = pick(OUTLETS);
    const [country, zone] = pick(PLACES);
    const first = pick(FIRST);
    const last = pick(LAST);
    const local = `j${i.toString(36)}.${Math.floor(rand() * 1e6).toString(36)}`;
    const email = (i % 97 === 0 ? local.toUpperCase() : local) + '@' + domain;
    const lastCell = last.includes("'") || rand() < 0.05 ? `"${last}"` : last;
    batch.push(`${email},${first},${lastCell},${outlet},${pick(BEATS)},${pick(LANGS)},${country},${zone},${pick(DESKS)}`);
    if (batch.length === 10_000) {
      if (!out.write(batch.join('\r\n') + '\r\n')) await once(out, 'drain');
      batch = [];
    }
  }
  if (batch.length > 0) out.write(batch.join('\r\n') + '\r\n');
  out.end();
  await once(out, 'finish');
  const { size } = await stat(file);
  await writeFile(meta, JSON.stringify({ rows, bytes: size }));
  return { file, bytes: size };
}

interface ChildResult {
  mode: string;
  rows: number;
  ms: number;
  maxRssMB: number;
}

async function measure(mode: 'plain' | 'load' | 'contacts', file: string): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, [CHILD, mode, file], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

/** Runs the list benchmark (each measurement in its own process, best of 3) and returns the lines it prints. */
export async function benchLists(options: { rows?: number } = {}): Promise<string[]> {
  const rows = options.rows ?? 1_000_000;
  const { file, bytes } = await generateList(rows);
  const best: Record<string, ChildResult> = {};
  for (let r = 0; r < RUNS; r++) {
    for (const mode of ['plain', 'load', 'contacts'] as const) {
      const result = await measure(mode, file);
      if (result.rows !== rows) throw new Error(`${mode} read ${result.rows} rows, expected ${rows}`);
      const prev = best[mode];
      if (prev === undefined || result.ms < prev.ms) best[mode] = { ...result, maxRssMB: Math.max(result.maxRssMB, prev?.maxRssMB ?? 0) };
      else prev.maxRssMB = Math.max(prev.maxRssMB, result.maxRssMB);
    }
  }
  const rate = (r: ChildResult): number => r.rows / (r.ms / 1000);
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const plain = best.plain!;
  const lines = [
    `lists: ${fmt(rows)} rows, ${(bytes / 1024 / 1024).toFixed(1)} MB (${file}), best of ${RUNS} runs, each in its own process`,
  ];
  lines.push(`  plain csv-parse          ${fmt(rate(plain)).padStart(10)} rows/s  peak RSS ${plain.maxRssMB.toFixed(0)} MB`);
  for (const [mode, label] of [
    ['load', 'pressline loadLists     '],
    ['contacts', 'loadLists + onContact   '],
  ] as const) {
    const r = best[mode]!;
    const ratio = rate(r) / rate(plain);
    lines.push(
      `  ${label} ${fmt(rate(r)).padStart(10)} rows/s  peak RSS ${r.maxRssMB.toFixed(0)} MB  ratio ${ratio.toFixed(2)} ` +
        `(target >= 0.70: ${ratio >= 0.7 ? 'ok' : 'MISSED'}; RSS target < 300 MB: ${r.maxRssMB < 300 ? 'ok' : 'MISSED'})`,
    );
  }
  return lines;
}

/**
 * Per-recipient rendering: compile MJML once per language variant and join pre-split segments
 * (compileRelease + variant.render), against the naive way of running mjml2html for every
 * recipient, measured in the same run on the example release.
 */
import { performance } from 'node:perf_hooks';
import { validateConfig } from '../src/config/load.js';
import type { Contact } from '../src/lists/contact.js';
import { loadRelease } from '../src/releases/load.js';
import { compileRelease } from '../src/render/compile.js';

const RELEASE = 'releases/eu-russia-summit.md';
const FIRST = ['Helen', 'Tom', 'Priya', 'Orla', 'Ирина', 'Дмитрий', 'Anna', 'Jean-Luc', '<Eve & "Co">'];
const LAST = ['Whitfield', 'Barraclough', 'Nair', 'McKenna', 'Смирнова', 'Иванов', 'Schmidt', 'Dupont', "O'Brien"];

function contacts(n: number): Contact[] {
  const out: Contact[] = [];
  for (let i = 0; i < n; i++) {
    const domain = `outlet${i % 97}.example`;
    const email = `journalist${i}@${domain}`;
    out.push({
      email,
      key: email,
      domain,
      firstName: i % 11 === 0 ? '' : FIRST[i % FIRST.length]!,
      lastName: LAST[i % LAST.length]!,
      outlet: `Outlet ${i % 97}`,
      tags: ['foreign'],
      language: i % 3 === 0 ? 'ru' : i % 5 === 0 ? 'fr' : 'en',
      country: 'Belgium',
      timeZone: 'Europe/Brussels',
      extra: { Desk: 'Foreign' },
      source: { file: 'bench', line: i + 2 },
    });
  }
  return out;
}

const rate = (n: number, ms: number) => (n / ms) * 1000;
const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-GB') : x.toFixed(1));

/** Prints messages/s for both ways and their ratio; `recipients` sizes the fast run (default 20,000). */
export async function benchRender(options: { recipients?: number; baselineRecipients?: number } = {}): Promise<string[]> {
  const n = options.recipients ?? 20_000;
  const nBase = options.baselineRecipients ?? 30;
  const config = validateConfig({ from: { name: 'Press Office', address: 'press@example.org' } });
  const release = await loadRelease(RELEASE, config);
  const now = new Date('2026-11-28T12:00:00Z');
  const list = contacts(Math.max(n, nBase));
  const unsubscribe = (c: Contact) => ({ unsubscribe_url: `https://press.example.org/u/${c.key}` });

  // Warm-up: module loading and the first MJML run are not what we measure.
  await compileRelease(release, { config, now, columns: ['Desk'] });

  // Compile once per variant, then a join per recipient. Byte length forces the strings flat,
  // as writing them to a socket would.
  let bytes = 0;
  const t0 = performance.now();
  const compiled = await compileRelease(release, { config, now, columns: ['Desk'] });
  const tCompiled = performance.now();
  for (let i = 0; i < n; i++) {
    const c = list[i]!;
    const m = compiled.pickVariant(c).render(c, unsubscribe(c));
    bytes += Buffer.byteLength(m.html) + Buffer.byteLength(m.text) + m.subject.length;
  }
  const fastMs = performance.now() - t0;

  // Baseline: one MJML compilation per recipient (the variant the recipient gets, nothing else).
  let baseBytes = 0;
  const b0 = performance.now();
  for (let i = 0; i < nBase; i++) {
    const c = list[i]!;
    const variant = compiled.pickVariant(c);
    const only = release.variants.filter((v) => v.language === variant.language);
    const single = await compileRelease({ ...release, variants: only }, { config, now, columns: ['Desk'] });
    const m = single.variants[0]!.render(c, unsubscribe(c));
    baseBytes += Buffer.byteLength(m.html) + Buffer.byteLength(m.text) + m.subject.length;
  }
  const baseMs = performance.now() - b0;

  const fast = rate(n, fastMs);
  const base = rate(nBase, baseMs);
  const ratio = fast / base;
  return [
    `release ${RELEASE}: ${release.variants.length} variants, ~${Math.round(bytes / n / 1024)} KiB per message (html + text)`,
    `compiled once + join:    ${n.toLocaleString('en-GB')} recipients in ${fastMs.toFixed(0)} ms ` +
      `(compile ${(tCompiled - t0).toFixed(0)} ms) → ${fmt(fast)} messages/s`,
    `mjml2html per recipient: ${nBase} recipients in ${baseMs.toFixed(0)} ms → ${fmt(base)} messages/s ` +
      `(extrapolated: ${(n / base / 60).toFixed(1)} min for ${n.toLocaleString('en-GB')})`,
    `ratio: ${fmt(ratio)}x (target >= 100x)${ratio >= 100 ? '' : '  BELOW TARGET'}`,
    ...(baseBytes > 0 ? [] : ['baseline produced no output?']),
  ];
}

// Shared setup of the newsroom tests: an embargoed release with a Russian translation, its two
// phases planned, the worker ticked on a fake clock, and the page URLs computed as the code does.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import pino from 'pino';
import { newsroomReleaseKey, pageName, pagePath } from '../../src/newsroom/urls.js';
import { planSchedule, storeSchedule } from '../../src/scheduler/schedule.js';
import { runWorker } from '../../src/scheduler/worker.js';
import type { TestApp } from '../helpers/app.js';

export const LIFT = new Date('2027-03-16T08:00:00Z');
export const HOUR = 3_600_000;
export const HEADLINE = 'Seal numbers rise « again » & <b>fifth</b> year';
export const HEADLINE_RU = 'Численность тюленей растёт пятый год подряд';
export const ORIGIN = 'https://press.example.org';

/** An embargoed release (lift 08:00 UTC) and its Russian translation, written into the app's folder. */
export function writeRelease(a: TestApp, extra = ''): string {
  const file = join(a.dir, 'seals.md');
  writeFileSync(
    file,
    `---
title: "${HEADLINE.replace(/"/g, '\\"')}"
summary: The census counted 31,400 harbour seals.
embargo: "2027-03-16 09:00 Europe/Brussels"
language: en
organisation:
  name: Northwind Coastal Trust
translations:
  - seals.ru.md
${extra}---
Dear {{ first_name | "reader" }}, the **census** counted 31,400 seals <script>alert(1)</script>.
`,
  );
  writeFileSync(
    join(a.dir, 'seals.ru.md'),
    `---
language: ru
title: ${HEADLINE_RU}
---
Перепись насчитала 31 400 тюленей.
`,
  );
  return file;
}

/** The embargoed phase to `trusted` 24 hours before the lift, the public phase to `everyone` at it. */
export async function scheduleTwoPhases(a: TestApp, release: string): Promise<number[]> {
  const trusted = a.list(['t1@wire.example,Tina,One,Wire,science,en', 'ru1@gazeta.example,Анна,Соколова,Газета,science,ru']);
  const everyone = a.list(['p1@news.example,Pat,One,News,science,en', 'p2@gazeta.example,Пётр,Иванов,Газета,science,ru']);
  const plan = await planSchedule({ releaseFile: release, embargoed: [trusted], public: [everyone], at: 'embargo - 24h', where: [], skipInvalid: false }, a);
  return storeSchedule(plan, a);
}

/** One look of the worker at the (fake) clock's now, waiting for what it started. */
export async function tickWorker(a: TestApp): Promise<void> {
  await runWorker(a, { intervalMs: 1000, signal: new AbortController().signal, log: pino({ level: 'silent' }), owner: 'newsroom-test', once: true });
}

/** The page path of the release in a language, computed the way publishing names it. */
export async function expectedPath(a: TestApp, release: string, language: string): Promise<string> {
  return pagePath({ path: a.config.newsroom.path, defaultLanguage: a.config.defaultLanguage }, language, pageName(a.env.secret!, newsroomReleaseKey(release), HEADLINE));
}

/** Every message a campaign wrote to the outbox, parsed (HTML and text parts decoded). */
export async function outboxMessages(a: TestApp, campaignId: number): Promise<{ to: string; html: string; text: string }[]> {
  const dir = join(a.config.paths.outbox, String(campaignId));
  return Promise.all(
    readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .map(async (f) => {
        const raw = readFileSync(join(dir, f));
        const mail = await simpleParser(raw.subarray(raw.indexOf('\r\n', raw.indexOf('X-Pressline-Envelope-To:')) + 2));
        return { to: mail.to && !Array.isArray(mail.to) ? mail.to.text : '', html: typeof mail.html === 'string' ? mail.html : '', text: mail.text ?? '' };
      }),
  );
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { loadRelease } from '../../src/releases/load.js';
import { compileRelease } from '../../src/render/compile.js';
import { contact } from './helpers.js';

/*
 * The email as a phone shows it, in real Chromium: a six-column table never pushes the page
 * sideways nor splits a word to fit, and in dark mode the embargo band, text and links stay
 * readable (WCAG contrast of at least 4.5:1).
 */

const SHOTS = 'test/.tmp/screenshots';
const TABLE = [
  '| Country | Capital | Sources | Detained | Released | Representation |',
  '| --- | --- | --- | ---: | ---: | --- |',
  '| Belgium | Brussels | Interviews | 12 | 9 | Brussels office |',
  '| Russian Federation | Moscow | Documents | 240 | 31 | Moscow bureau |',
  '| Netherlands | Amsterdam | Testimonies | 3 | 3 | The Hague |',
].join('\n');

let dir: string;
let html: string;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'pressline-layout-'));
  const file = join(dir, 'table.md');
  writeFileSync(
    file,
    [
      '---',
      'title: "Detentions in six countries: the figures"',
      'embargo: "2027-03-16 09:00 Europe/Brussels"',
      'language: en',
      'contacts:',
      '  - name: Lydia Aroyo',
      '    phones: +44 20 7413 5599',
      'links:',
      '  - label: The full report',
      '    url: https://www.example.org/report',
      '---',
      'The figures below come from our researchers.',
      '',
      TABLE,
      '',
      'Call us on +44 20 7413 5599 before 16 March 2027.',
      '',
    ].join('\n'),
  );
  const config = validateConfig({});
  const release = await loadRelease(file, config);
  const compiled = await compileRelease(release, { config, now: new Date('2027-01-01T00:00:00Z') });
  expect(compiled.embargoed).toBe(true);
  html = compiled.variants[0]!.render(contact(), { unsubscribe_url: 'https://press.example.org/u/token' }).html;
  browser = await launchChromium();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(width: number, colorScheme: 'light' | 'dark'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 800 }, colorScheme });
  await page.route(/.*/, (r) => r.abort()); // nothing leaves the machine (fonts, images)
  await page.setContent(html, { waitUntil: 'domcontentloaded' });
  return page;
}

/** Words of table cells that the browser laid out on more than one line (split inside). */
function brokenWords(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const broken: string[] = [];
    for (const cell of document.querySelectorAll('td, th')) {
      if (!cell.closest('.pl-table')) continue;
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? '';
        for (const m of text.matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(node, m.index!);
          range.setEnd(node, m.index! + m[0].length);
          const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (lines.size > 1) broken.push(m[0]);
        }
      }
    }
    return broken;
  });
}

describe('the email on a phone, in Chromium', () => {
  for (const width of [320, 375]) {
    it(`${width} px: the page never scrolls sideways and no table word is split`, async () => {
      const page = await open(width, 'light');
      try {
        await page.screenshot({ path: `${SHOTS}/email-table-${width}.png`, fullPage: true });
        const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
        expect(scrollWidth).toBeLessThanOrEqual(innerWidth);
        expect(await page.locator('.pl-table td').count()).toBe(18);
        expect(await brokenWords(page)).toEqual([]);
        // The table box scrolls instead (its content is wider than a 320 px screen).
        const box = await page.evaluate(() => {
          const el = document.querySelector('.pl-table') as HTMLElement;
          return { overflow: getComputedStyle(el).overflowX, fits: el.getBoundingClientRect().right <= window.innerWidth };
        });
        expect(box).toEqual({ overflow: 'auto', fits: true });
      } finally {
        await page.close();
      }
    });
  }

  it('dark mode: dark surfaces, and the embargo band, body text and links keep a contrast of at least 4.5:1', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      const page = await open(375, scheme);
      try {
        await page.screenshot({ path: `${SHOTS}/email-${scheme}-375.png`, fullPage: true });
        const colours = await page.evaluate(() => {
          const bg = (el: Element | null): string => {
            for (let e = el; e; e = e.parentElement) {
              const c = getComputedStyle(e).backgroundColor;
              if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c;
            }
            return 'rgb(255, 255, 255)';
          };
          const band = document.querySelector('.pl-band .notice div')!;
          const body = [...document.querySelectorAll('.pl-card .body p')].find((p) => p.textContent?.includes('researchers'))!;
          const link = document.querySelector('.pl-meta a')!;
          const unsubscribe = document.querySelector('.pl-footer a')!;
          return {
            page: bg(unsubscribe),
            band: [getComputedStyle(band).color, bg(band)],
            body: [getComputedStyle(body).color, bg(body)],
            link: [getComputedStyle(link).color, bg(link)],
            unsubscribe: [getComputedStyle(unsubscribe).color, bg(unsubscribe)],
          };
        });
        for (const [fg, bg] of [colours.band, colours.body, colours.link, colours.unsubscribe]) expect(contrast(fg!, bg!), `${scheme}: ${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
        expect(luminance(colours.band[1]!), 'the band stays red').toBeCloseTo(luminance('rgb(176, 0, 32)'), 2);
        if (scheme === 'dark') expect(luminance(colours.page)).toBeLessThan(0.05);
        else expect(luminance(colours.page)).toBeGreaterThan(0.8);
      } finally {
        await page.close();
      }
    }
  });
});

function luminance(rgb: string): number {
  const [r, g, b] = (rgb.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number).map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

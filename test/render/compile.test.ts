import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { PresslineError } from '../../src/errors.js';
import { loadRelease } from '../../src/releases/load.js';
import type { Release } from '../../src/releases/types.js';
import { compileRelease, summariseVariants, type CompiledRelease } from '../../src/render/compile.js';
import { contact } from './helpers.js';

const config = validateConfig({});
const NOW = new Date('2026-11-28T12:00:00Z');
const fx = (name: string) => join('test/fixtures/releases', name);

async function compileError(p: Promise<unknown>): Promise<PresslineError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PresslineError);
    return err as PresslineError;
  }
  throw new Error('expected compilation to fail');
}

describe('compileRelease: the EU-Russia summit release', () => {
  let release: Release;
  let compiled: CompiledRelease;
  beforeAll(async () => {
    release = await loadRelease('releases/eu-russia-summit.md', config);
    compiled = await compileRelease(release, { config, now: NOW });
  });

  it('compiles one variant per language, original first', () => {
    expect(compiled.variants.map((v) => v.language)).toEqual(['en', 'ru']);
    expect(compiled.embargoed).toBe(false);
    expect(compiled.variants[0]!.fields).toEqual(expect.arrayContaining(['first_name', 'unsubscribe_url']));
  });

  it('produces responsive HTML: viewport, breakpoint media query, stacking columns, lang, title, preview', () => {
    const { html } = compiled.variants[0]!.render(contact());
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toMatch(/@media only screen and \(min-width:480px\)\s*\{\s*\.mj-column-per-100/);
    expect(html).toContain('.mj-column-per-50 { width:50% !important; max-width: 50%; }');
    expect(html).toContain('class="mj-column-per-50 mj-outlook-group-fix"');
    expect(html).toContain('@media only screen and (max-width: 480px)');
    expect(html).toMatch(/<html lang="en" dir="ltr"/);
    expect(html).toContain('<title>EU-Russia summit: put human rights on top of the agenda</title>');
    expect(html).toMatch(/<div style="display:none;[^"]*">On the eve of the new EU\/Russian Federation summit/);
    const ru = compiled.variants[1]!.render(contact({ language: 'ru' })).html;
    expect(ru).toMatch(/<html lang="ru" dir="ltr"/);
  });

  it('carries the whole release: headline, dateline, greeting, body, background, contacts, links, footer', () => {
    const { html, subject } = compiled.variants[0]!.render(contact());
    expect(subject).toBe('EU-Russia summit: put human rights on top of the agenda');
    expect(html).toContain('FOR IMMEDIATE RELEASE');
    expect(html).not.toContain('EMBARGOED');
    expect(html).toContain('Brussels, 10 November 2002');
    expect(html).toContain('Dear Anna,');
    expect(html).toContain('<h2');
    expect(html).toContain('Background</h2>');
    expect(html).toContain('&quot;Both sides in the conflict commit atrocities');
    expect(html).toContain('Lydia Aroyo');
    expect(html).toContain('href="tel:+442074135599"');
    expect(html).toContain('href="tel:+447798555629"');
    expect(html).toContain('+44 7798 555 629 (UK mobile)');
    expect(html).toContain('href="tel:+442074135566"');
    expect(html).toContain('href="http://www.amnesty.org/russia/russian"');
    expect(html).toContain('The urgent appeal</a> (Russian)');
    expect(html).toContain('1 Easton St., London WC1X 0DW');
    expect(html).toContain('href="http://www.amnesty.org"');
    expect(html).not.toMatch(/\{\{|\}\}|\{%|%\}/);
    expect(html).not.toMatch(/zq\d+mf\d+q/i);
  });

  it('uses the fallback when a merge field is empty, and the unsubscribe slot either way', () => {
    const v = compiled.variants[0]!;
    const anon = v.render(contact({ firstName: '' }));
    expect(anon.html).toContain('Dear colleague,');
    expect(anon.text).toContain('Dear colleague,');
    expect(anon.html).toContain('reply to this email with &quot;unsubscribe&quot;');
    expect(anon.text.replace(/\s+/g, ' ')).toContain('reply to this email with "unsubscribe"');
    const withUrl = v.render(contact(), { unsubscribe_url: 'https://press.example.org/u?t=a&b="x"' });
    expect(withUrl.html).toContain('href="https://press.example.org/u?t=a&amp;b=&quot;x&quot;"');
    expect(withUrl.html).not.toContain('reply to this email');
    expect(withUrl.text.replace(/\s+/g, ' ')).toContain('To stop receiving our press releases: <https://press.example.org/u?t=a&b="x">');
  });

  it('escapes merge values in HTML (<script>, quotes) and neutralises controls in text and subject', () => {
    const evil = contact({ firstName: '<script>alert("x")</script> O\'Brien' });
    const { html, text } = compiled.variants[0]!.render(evil);
    expect(html).toContain('Dear &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; O&#39;Brien,');
    expect(html).not.toContain('<script>');
    expect(text).toContain('Dear <script>alert("x")</script> O\'Brien,');
    const ctl = compiled.variants[0]!.render(contact({ firstName: 'A\r\nB\u0000C' }));
    expect(ctl.text).toContain('Dear A B C,');
    expect(ctl.html).toContain('Dear A B C,');
    expect(ctl.html).not.toMatch(/[\u0000\r]/);
  });

  it('writes a real plain-text alternative', () => {
    const { text } = compiled.variants[0]!.render(contact({ firstName: 'Helen' }));
    const lines = text.split('\n');
    expect(lines[0]).toBe('FOR IMMEDIATE RELEASE');
    expect(text).toContain('\nEU-Russia summit: put human rights on top of the agenda\n');
    expect(text).toContain('Brussels, 10 November 2002\n\nDear Helen,\n\nOn the eve of the new EU/Russian Federation summit');
    expect(text).toContain('\nBackground\n----------\n');
    expect(text).toContain('Press contacts\n--------------\n\nLydia Aroyo\nFor further information and interviews\nTel. +44 20 7413 5599\nTel. +44 7798 555 629 (UK mobile)');
    expect(text).toContain('- Russia campaign website: <http://www.amnesty.org/russia>');
    expect(text).toContain('-- \nAmnesty International\n1 Easton St., London WC1X 0DW\nhttp://www.amnesty.org');
    for (const line of lines) {
      if (!/<https?:|https?:\/\//.test(line)) expect([...line].length, line).toBeLessThanOrEqual(76);
    }
    expect(text).not.toMatch(/<\/?(p|div|a|strong|h2)\b/);
    expect(text).not.toMatch(/\{\{|zq\d+mf/);
  });

  it('picks the variant by language: exact, primary subtag, else the original', () => {
    const pick = (language: string) => compiled.pickVariant(contact({ language })).language;
    expect(pick('ru')).toBe('ru');
    expect(pick('ru-ru')).toBe('ru');
    expect(pick('RU')).toBe('ru');
    expect(pick('en-gb')).toBe('en');
    expect(pick('fr')).toBe('en');
    expect(pick('')).toBe('en');
    const contacts = ['ru', 'ru', 'en', 'fr', '', 'ru-ua'].map((language) => contact({ language }));
    expect(summariseVariants(compiled, contacts)).toEqual([
      { language: 'en', file: 'releases/eu-russia-summit.md', contacts: 3 },
      { language: 'ru', file: 'releases/eu-russia-summit.ru.md', contacts: 3 },
    ]);
  });

  it('is deterministic: same release + contact → identical output, across compilations', async () => {
    const again = await compileRelease(release, { config, now: NOW });
    for (const i of [0, 1]) {
      const a = compiled.variants[i]!.render(contact());
      const b = again.variants[i]!.render(contact());
      expect(b).toEqual(a);
    }
  });
});

describe('compileRelease: embargo', () => {
  let release: Release;
  beforeAll(async () => {
    release = await loadRelease('releases/examples/embargoed.md', config);
  });

  it('before the lift: red notice band at the very top, notice first in text, subject prefix', async () => {
    const compiled = await compileRelease(release, { config, now: new Date('2027-03-16T07:59:59Z') });
    expect(compiled.embargoed).toBe(true);
    const m = compiled.variants[0]!.render(contact());
    const notice = 'EMBARGOED UNTIL 09:00 CET (08:00 UTC), Tuesday 16 March 2027';
    expect(m.subject).toBe('EMBARGOED: Seal census 2026: harbour seal numbers up for the fifth year');
    expect(m.text.startsWith(notice + '\n')).toBe(true);
    const body = m.html.slice(m.html.indexOf('<body'));
    const first = body.indexOf(notice);
    expect(first).toBeGreaterThan(0);
    expect(body.indexOf('background-color:#b00020')).toBeLessThan(first);
    expect(first).toBeLessThan(body.indexOf('>Harbour seal numbers'));
    expect(m.html).not.toContain('FOR IMMEDIATE RELEASE');
  });

  it('at and after the lift: no notice, lifted wording, no subject prefix', async () => {
    for (const now of [new Date('2027-03-16T08:00:00Z'), new Date('2027-04-01T00:00:00Z')]) {
      const compiled = await compileRelease(release, { config, now });
      expect(compiled.embargoed).toBe(false);
      const m = compiled.variants[0]!.render(contact());
      expect(m.subject).toBe('Seal census 2026: harbour seal numbers up for the fifth year');
      expect(m.html).not.toContain('EMBARGO');
      expect(m.text).not.toContain('EMBARGO');
      expect(m.html).toContain('FOR IMMEDIATE RELEASE');
      expect(m.text.startsWith('FOR IMMEDIATE RELEASE\n')).toBe(true);
    }
  });

  it('uses the configured wording', async () => {
    const custom = validateConfig({ embargo: { subjectPrefix: '[EMBARGO] ', liftedWording: 'For release now' } });
    const before = await compileRelease(release, { config: custom, now: new Date('2027-01-01T00:00:00Z') });
    expect(before.variants[0]!.render(contact()).subject).toMatch(/^\[EMBARGO\] Seal census/);
    const after = await compileRelease(release, { config: custom, now: new Date('2028-01-01T00:00:00Z') });
    expect(after.variants[0]!.render(contact()).html).toContain('For release now');
  });

  it('never lets English wording into another language: subject prefix and lifted notice per language, config string for the default language only', async () => {
    const r = await loadRelease(fx('with-translation.md'), config);
    const before = await compileRelease(r, { config, now: new Date('2026-11-01T00:00:00Z') });
    const after = await compileRelease(r, { config, now: new Date('2026-12-02T00:00:00Z') });
    const [en, fr, pt] = [contact(), contact({ language: 'fr' }), contact({ language: 'pt-br' })];
    expect(before.pickVariant(en).render(en).subject).toMatch(/^EMBARGOED: /);
    expect(before.pickVariant(fr).render(fr).subject).toMatch(/^SOUS EMBARGO : /);
    expect(before.pickVariant(pt).render(pt).subject).toMatch(/^SOB EMBARGO: /);
    const lifted = { en: after.pickVariant(en).render(en), fr: after.pickVariant(fr).render(fr), pt: after.pickVariant(pt).render(pt) };
    expect(lifted.en.text.split('\n')[0]).toBe('FOR IMMEDIATE RELEASE');
    expect(lifted.fr.text.split('\n')[0]).toBe('POUR DIFFUSION IMMÉDIATE');
    expect(lifted.pt.text.split('\n')[0]).toBe('PARA DIVULGAÇÃO IMEDIATA');
    for (const m of [lifted.fr, lifted.pt]) expect(`${m.subject}${m.html}${m.text}`).not.toMatch(/FOR IMMEDIATE RELEASE|EMBARGOED/);

    // One configured string is the default language's wording; a map sets any language.
    const custom = validateConfig({ embargo: { subjectPrefix: '[EMBARGO] ', liftedWording: { fr: 'DIFFUSION LIBRE', en: 'Out now' } } });
    const c1 = await compileRelease(r, { config: custom, now: new Date('2026-11-01T00:00:00Z') });
    expect(c1.pickVariant(en).render(en).subject).toMatch(/^\[EMBARGO\] /);
    expect(c1.pickVariant(fr).render(fr).subject).toMatch(/^SOUS EMBARGO/);
    const c2 = await compileRelease(r, { config: custom, now: new Date('2026-12-02T00:00:00Z') });
    expect(c2.pickVariant(fr).render(fr).text.split('\n')[0]).toBe('DIFFUSION LIBRE');
    expect(c2.pickVariant(en).render(en).text.split('\n')[0]).toBe('Out now');
  });

  it('localises the notice per variant', async () => {
    const r = await loadRelease(fx('with-translation.md'), config);
    const compiled = await compileRelease(r, { config, now: new Date('2026-11-01T00:00:00Z') });
    const fr = compiled.variants[1]!.render(contact({ language: 'fr' }));
    expect(fr.text.split('\n')[0]).toBe("SOUS EMBARGO JUSQU'À 09:00 CET (08:00 UTC), mardi 1 décembre 2026");
    expect(fr.subject).toBe('SOUS EMBARGO : Communiqué traduit');
    expect(fr.html).toContain('Bonjour Anna,');
    expect(compiled.variants[1]!.render(contact({ firstName: '' })).html).toContain('Madame, Monsieur,');
    const pt = compiled.variants[2]!.render(contact({ language: 'pt-br' }));
    expect(pt.html).not.toMatch(/Caro\/a|Dear/);
    expect(compiled.pickVariant(contact({ language: 'pt' })).language).toBe('pt-BR');
  });
});

describe('compileRelease: merge fields', () => {
  let release: Release;
  beforeAll(async () => {
    release = await loadRelease(fx('merge-fields.md'), config);
  });

  it('merges contact fields, list columns (as written or snake_cased) and conditionals in body, subject and greeting', async () => {
    const compiled = await compileRelease(release, { config, now: NOW, columns: ['Desk'] });
    const v = compiled.variants[0]!;
    expect(v.fields).toEqual(expect.arrayContaining(['first_name', 'outlet', 'name', 'Desk', 'country', 'unsubscribe_url']));
    const m = v.render(contact({ extra: { Desk: 'Foreign & Security' } }));
    expect(m.subject).toBe('News for Anna at Die Zeitung');
    expect(m.html).toContain('Hello Anna Schmidt,');
    expect(m.html).toContain('Findings for Die Zeitung</h1>');
    expect(m.html).toContain('Your desk: Foreign &amp; Security (Foreign &amp; Security). Filed from Germany.');
    expect(m.text).toContain('Your desk: Foreign & Security (Foreign & Security). Filed from Germany.');
    const bare = v.render(contact({ firstName: '', lastName: '', outlet: '', country: '', extra: {} }));
    expect(bare.subject).toBe('News for you at');
    expect(bare.html).toContain('Hello friend,');
    expect(bare.html).toContain('Findings for your newsroom</h1>');
    expect(bare.html).toContain('Your desk: general (). No country.');
  });

  it('escapes raw HTML in the release and keeps safe links', async () => {
    const compiled = await compileRelease(release, { config, now: NOW, columns: ['Desk'] });
    const { html, text } = compiled.variants[0]!.render(contact());
    expect(html).toContain('&lt;b&gt;inline tag&lt;/b&gt;');
    expect(html).toContain('&lt;script&gt;alert(&quot;raw html in the release&quot;)&lt;/script&gt;');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('<a href="https://foundation.example.org/report"');
    expect(html).toContain('href="https://foundation.example.org/report?a=1&amp;b=2"');
    expect(text.replace(/\s+/g, ' ')).toContain('link to the report <https://foundation.example.org/report>');
    expect(text).toContain('- first point\n- second point with bold text');
    expect(text).toContain('> A quotation from someone important.');
    // A body link to the unsubscribe merge field is kept; other merge-field or javascript: hrefs are not links.
    const withUrl = compiled.variants[0]!.render(contact(), { unsubscribe_url: 'https://press.example.org/u/1' });
    expect(withUrl.html).toContain('<a href="https://press.example.org/u/1" style="color: #1a56a8; text-decoration: underline;">Unsubscribe here</a>');
    expect(withUrl.html).toMatch(/and bad and js/);
    expect(withUrl.html).not.toMatch(/javascript:/);
    // Underlines are sized when compiling, so a merged heading's underline is approximate.
    expect(text).toMatch(/\nFindings for Die Zeitung\n={16,}\n/);
  });

  it('never lets a subject carry a header break', async () => {
    const compiled = await compileRelease(release, { config, now: NOW, columns: ['Desk'] });
    const m = compiled.variants[0]!.render(contact({ firstName: 'Eve\r\nBcc: victim@example.org', outlet: 'X\u2028Y\u0085Z' }));
    expect(m.subject).not.toMatch(/[\r\n\u2028\u0085]/);
    expect(m.subject).toBe('News for Eve Bcc: victim@example.org at X Y Z');
  });

  it('rejects a field that is neither a contact field, a list column nor a special, before any send', async () => {
    const err = await compileError(compileRelease(release, { config, now: NOW }));
    expect(err.code).toBe('MERGE_FIELD_UNKNOWN');
    expect(err.message).toContain('"desk"');
    expect(err.message).toContain('"Desk"');
    expect(err.location).toMatchObject({ file: fx('merge-fields.md'), line: 21, field: 'desk' });
  });

  it('names the line of an unknown field in the body', async () => {
    const r = await loadRelease(fx('unknown-merge-field.md'), config);
    const err = await compileError(compileRelease(r, { config, now: NOW }));
    expect(err.code).toBe('MERGE_FIELD_UNKNOWN');
    expect(err.location).toMatchObject({ file: fx('unknown-merge-field.md'), line: 7, field: 'frist_name' });
    expect(err.message).toContain('known fields: email, first_name');
  });

  it('rejects unbalanced conditionals and unclosed tags', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pressline-merge-'));
    writeFileSync(join(dir, 'a.md'), '---\ntitle: T\n---\n{{#if first_name}}Hi\n');
    const r1 = await loadRelease(join(dir, 'a.md'), config);
    expect((await compileError(compileRelease(r1, { config, now: NOW }))).message).toMatch(/never closed/);
    writeFileSync(join(dir, 'b.md'), '---\ntitle: T\n---\nHello {{ first_name\n');
    const r2 = await loadRelease(join(dir, 'b.md'), config);
    const e2 = await compileError(compileRelease(r2, { config, now: NOW }));
    expect(e2.code).toBe('MERGE_FIELD_UNKNOWN');
    expect(e2.location?.line).toBe(4);
  });
});

describe('compileRelease: template errors', () => {
  it('reports strict MJML validation errors with the template file and line', async () => {
    const release = await loadRelease('releases/eu-russia-summit.md', config);
    const templateFile = 'test/fixtures/templates/broken.mjml';
    const err = await compileError(compileRelease(release, { config, now: NOW, templateFile }));
    expect(err.code).toBe('TEMPLATE_INVALID');
    expect(err.location?.file).toMatch(/test\/fixtures\/templates\/broken\.mjml$/);
    expect(err.location?.line).toBe(7);
    expect(err.message).toContain('mj-text cannot be used inside mj-section');
  });

  it('maps lines back through multi-line slot values', async () => {
    const release = await loadRelease('releases/eu-russia-summit.md', config);
    const src = readFileSync('test/fixtures/templates/broken.mjml', 'utf8')
      .replace('<mj-text>Text directly inside a section is not allowed.</mj-text>\n', '')
      .replace('</mj-column>', '</mj-column>\n        <mj-button foo="bar">x</mj-button>');
    const dir = mkdtempSync(join(tmpdir(), 'pressline-tpl-'));
    writeFileSync(join(dir, 't.mjml'), src);
    const err = await compileError(compileRelease(release, { config, now: NOW, templateFile: join(dir, 't.mjml') }));
    expect(err.code).toBe('TEMPLATE_INVALID');
    // The body slot above expands to many lines; the error still points at the template line.
    expect(err.location?.line).toBe(src.split('\n').findIndex((l) => l.includes('mj-button')) + 1);
  });

  it('catches an unclosed tag MJML would silently swallow, and unknown slots', async () => {
    const release = await loadRelease('releases/eu-russia-summit.md', config);
    const dir = mkdtempSync(join(tmpdir(), 'pressline-tpl-'));
    writeFileSync(
      join(dir, 'u.mjml'),
      '<mjml>\n  <mj-body>\n    <mj-section>\n      <mj-column>\n        <mj-text>{% title %}\n      </mj-column>\n    </mj-section>\n  </mj-body>\n</mjml>\n',
    );
    const e1 = await compileError(compileRelease(release, { config, now: NOW, templateFile: join(dir, 'u.mjml') }));
    expect(e1.code).toBe('TEMPLATE_INVALID');
    expect(e1.location?.line).toBe(6);
    expect(e1.message).toContain('<mj-text> opened on line 5 is not closed');
    writeFileSync(join(dir, 'v.mjml'), '<mjml>\n  <mj-body>\n    <mj-section><mj-column><mj-text>{% titel %}</mj-text></mj-column></mj-section>\n  </mj-body>\n</mjml>\n');
    const e2 = await compileError(compileRelease(release, { config, now: NOW, templateFile: join(dir, 'v.mjml') }));
    expect(e2.code).toBe('TEMPLATE_INVALID');
    expect(e2.location?.line).toBe(3);
    expect(e2.message).toContain('unknown template value "titel"');
    writeFileSync(join(dir, 'w.mjml'), '<mjml>\n  <mj-body>\n    <mj-section><mj-column><mj-text>{{ frist_name }}</mj-text></mj-column></mj-section>\n  </mj-body>\n</mjml>\n');
    const e3 = await compileError(compileRelease(release, { config, now: NOW, templateFile: join(dir, 'w.mjml') }));
    expect(e3.code).toBe('MERGE_FIELD_UNKNOWN');
    expect(e3.location).toMatchObject({ line: 3, field: 'frist_name' });
  });
});

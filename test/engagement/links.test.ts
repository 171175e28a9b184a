import { describe, expect, it } from 'vitest';
import { parseDoNotTrack, withTrackingColumn } from '../../src/engagement/do-not-track.js';
import { recipientTracked, trackedCopy } from '../../src/engagement/links.js';
import { parseTrackFlag } from '../../src/engagement/settings.js';
import { publicLinkOrigin } from '../../src/config/public-origin.js';
import type { Config } from '../../src/config/schema.js';
import type { Contact } from '../../src/lists/contact.js';
import { addTracking, decodeAttribute, MAX_TARGET_CHARS } from '../../src/render/tracking.js';
import { clickTargetMatches } from '../../src/tokens.js';

const contact = (email: string, extra: Record<string, string> = {}): Contact => ({
  email, key: email.toLowerCase(), domain: email.split('@')[1]!, firstName: 'A', lastName: 'B', outlet: '', tags: [], language: 'en', country: '', timeZone: '', extra, source: { file: 'l.csv', line: 2 },
});

describe('addTracking', () => {
  const html = `<html><body><a href="https://x.example/a?b=1&amp;c=2">x</a> <a class="m" href='mailto:desk@x.example'>m</a> <a href="tel:+3212">t</a> <a href="#top">top</a>
<a href="https://press.example.org/u/tok">unsubscribe</a> <a href="http://y.example/&unknown;">odd</a><link href="https://cdn.example/s.css"><img src="https://cdn.example/i.png"></body></html>`;
  const out = addTracking(html, { click: (t) => `https://p.example/c/T?u=${encodeURIComponent(t)}&s=S`, pixel: 'https://p.example/o/T.gif', keep: ['https://press.example.org/u/tok'] });

  it('rewrites http(s) anchors only, with the exact decoded target', () => {
    expect(out).toContain('<a href="https://p.example/c/T?u=https%3A%2F%2Fx.example%2Fa%3Fb%3D1%26c%3D2&amp;s=S">x</a>');
    expect(out).toContain(`href='mailto:desk@x.example'`);
    expect(out).toContain('href="tel:+3212"');
    expect(out).toContain('href="#top"');
    expect(out).toContain('href="https://press.example.org/u/tok"');
    expect(out).toContain('href="http://y.example/&unknown;"'); // not read for sure: left alone
    expect(out).toContain('<link href="https://cdn.example/s.css">');
    expect(out).toContain('<img src="https://cdn.example/i.png">');
  });

  it('leaves a target longer than serve accepts as it is', () => {
    const long = `https://x.example/${'a'.repeat(MAX_TARGET_CHARS)}`;
    expect(addTracking(`<a href="${long}">x</a>`, { click: (t) => `https://p.example/c/t?u=${t}` })).toBe(`<a href="${long}">x</a>`);
  });

  it('puts the pixel at the end of the body', () => {
    expect(out).toMatch(/<img src="https:\/\/p\.example\/o\/T\.gif" width="1" height="1" alt="" style="[^"]*" \/><\/body><\/html>$/);
    expect(addTracking('<p>x</p>', { pixel: 'https://p.example/o/T.gif' })).toMatch(/^<p>x<\/p><img /);
  });

  it('decodes attribute entities', () => {
    expect(decodeAttribute('a&amp;b&#38;c&#x26;d&quot;')).toBe('a&b&c&d"');
    expect(decodeAttribute('a&nbsp;b')).toBeUndefined();
    // Beyond Unicode: left alone rather than thrown on (String.fromCodePoint would throw).
    expect(decodeAttribute('https://x.example/&#x110000;')).toBeUndefined();
    expect(decodeAttribute('https://x.example/&#99999999999;')).toBeUndefined();
  });
});

describe('per recipient', () => {
  const tracking = { opens: true, clicks: true, origin: 'https://p.example', doNotTrack: parseDoNotTrack('# x\nNo@Track.example\n', 'dnt'), column: 'Tracking' };
  const rendered = { language: 'en', subject: 's', html: '<body><a href="https://x.example/">x</a></body>', text: 'x https://x.example/', encoded: { html: [Buffer.from('h')], text: [Buffer.from('t')] } };
  const ref = { instance: '0123456789ab', campaignId: 3, deliveryId: 7 };

  it('honours the tracking column and the do-not-track list', () => {
    expect(recipientTracked(tracking, contact('a@x.example'))).toBe(true);
    expect(recipientTracked(tracking, contact('no@track.example'))).toBe(false);
    for (const no of ['no', 'NO', 'false', '0', 'Off', ' off ']) expect(recipientTracked(tracking, contact('a@x.example', { Tracking: no }))).toBe(false);
    expect(recipientTracked(tracking, contact('a@x.example', { Tracking: 'yes' }))).toBe(true);
    // An unclear answer is no consent: only empty or a clear yes tracks.
    for (const no of ['N', 'nein', 'non', 'never', 'opt-out', 'No.', 'nö']) expect(recipientTracked(tracking, contact('a@x.example', { Tracking: no })), no).toBe(false);
    for (const yes of ['', ' ', 'Y', 'true', '1', 'ja', 'oui', 'sí', 'да']) expect(recipientTracked(tracking, contact('a@x.example', { Tracking: yes })), yes).toBe(true);
  });

  it('matches do-not-track addresses in any spelling of an international domain', () => {
    const dnt = { ...tracking, doNotTrack: parseDoNotTrack('Anna@Bücher.example\n', 'dnt') };
    const punycode: Contact = { ...contact('anna@xn--bcher-kva.example'), key: 'anna@xn--bcher-kva.example' };
    expect(recipientTracked(dnt, punycode)).toBe(false);
  });

  it('builds mailed links on a public origin only where serve answers at the site root', () => {
    const config = (web: object, unsubscribe: object) => ({ web, unsubscribe }) as unknown as Config;
    expect(publicLinkOrigin(config({ publicOrigin: 'https://press.example.org' }, { baseUrl: 'https://ngo.example/press' }))).toBe('https://press.example.org');
    expect(publicLinkOrigin(config({}, { baseUrl: 'https://ngo.example/' }))).toBe('https://ngo.example');
    expect(publicLinkOrigin(config({}, { baseUrl: 'https://ngo.example/press/u' }))).toBeUndefined();
    expect(publicLinkOrigin(config({}, {}))).toBeUndefined();
  });

  it('tracks the HTML part only, with a signed target; the text part keeps its links', () => {
    const copy = trackedCopy(tracking, 'secret', ref, { key: 'a@x.example', contact: contact('a@x.example') }, rendered, undefined);
    expect(copy.text).toBe(rendered.text);
    expect(copy.encoded).toEqual({ text: rendered.encoded.text });
    const link = /href="([^"]+)"/.exec(copy.html)![1]!.replace(/&amp;/g, '&');
    const url = new URL(link);
    const token = url.pathname.split('/')[2]!;
    expect(url.searchParams.get('u')).toBe('https://x.example/');
    expect(clickTargetMatches('secret', token, 'https://x.example/', url.searchParams.get('s')!)).toBe(true);
    expect(clickTargetMatches('secret', token, 'https://evil.example/', url.searchParams.get('s')!)).toBe(false);
    expect(copy.html).toMatch(/<img src="https:\/\/p\.example\/o\/[0-9a-z-]+\.gif"/);
    expect(trackedCopy(tracking, 'secret', ref, { key: 'no@track.example', contact: contact('no@track.example') }, rendered, undefined)).toBe(rendered);
    expect(trackedCopy(undefined, 'secret', ref, { key: 'a@x.example', contact: contact('a@x.example') }, rendered, undefined)).toBe(rendered);
  });

  it('parses --track and the do-not-track file, naming what is wrong', () => {
    expect(parseTrackFlag('opens,clicks')).toEqual({ opens: true, clicks: true });
    expect(parseTrackFlag('clicks')).toEqual({ opens: false, clicks: true });
    expect(parseTrackFlag('none')).toEqual({ opens: false, clicks: false });
    expect(() => parseTrackFlag('opens,views')).toThrow('--track: "views" is not opens, clicks or none');
    expect(() => parseDoNotTrack('a@x.example\n\nbad line\n', 'dnt.txt')).toThrow('dnt.txt:3: "bad line" is not an email address');
  });

  it('keeps the list tracking column whatever the release merges', () => {
    expect(withTrackingColumn(['Beat'], ['Beat', 'TRACKING', 'Phone'])).toEqual(['Beat', 'TRACKING']);
    expect(withTrackingColumn([], ['Beat'])).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { forTerminal, oneLine } from '../../src/terminal/sanitise.js';
import { table } from '../../src/cli/output.js';

/** Nothing a terminal would act on: C0 (but LF and TAB where allowed), DEL, C1, format characters. */
const ACTIVE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/u;

describe('forTerminal', () => {
  it('shows a clear-screen CSI as text', () => {
    const out = forTerminal('\x1b[2J\x1b[HAll deliveries OK');
    expect(out).toBe('\\x1b[2J\\x1b[HAll deliveries OK');
    expect(out).not.toMatch(ACTIVE);
  });

  it('shows an OSC 8 hyperlink, BEL- or ST-terminated, as text with its target readable', () => {
    const bel = forTerminal('\x1b]8;;http://evil\x07click\x1b]8;;\x07');
    expect(bel).toBe('\\x1b]8;;http://evil\\x07click\\x1b]8;;\\x07');
    const st = forTerminal('\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\');
    expect(st).toBe('\\x1b]8;;http://evil\\x1b\\click\\x1b]8;;\\x1b\\');
    expect(bel + st).not.toMatch(ACTIVE);
  });

  it('escapes a lone CR that would overwrite the line, but keeps real line breaks', () => {
    expect(forTerminal('550 user unknown\rAll deliveries OK')).toBe('550 user unknown\\x0dAll deliveries OK');
    expect(forTerminal('line one\r\nline two\nline three')).toBe('line one\nline two\nline three');
  });

  it('shows bidi overrides and isolates, and other invisible format characters', () => {
    expect(forTerminal('invoice\u202Etxt.exe')).toBe('invoice\\u202etxt.exe');
    expect(forTerminal('a\u2066b\u2069c\u200Bd\uFEFFe\u{E0041}')).toBe('a\\u2066b\\u2069c\\u200bd\\ufeffe\\u{e0041}');
  });

  it('shows C1 controls, including the one-byte CSI \\x9b, and DEL', () => {
    expect(forTerminal('x\x9b2Jy\x85z\x7f')).toBe('x\\x9b2Jy\\x85z\\x7f');
  });

  it('leaves ordinary text alone: accents, Cyrillic, emoji with ZWJ, Persian ZWNJ, tabs', () => {
    const text = 'Zoë Müller — Газета «Новости»\t👩\u200D💻 می\u200Cخواهم';
    expect(forTerminal(text)).toBe(text);
  });

  it('oneLine: CR, LF, CRLF and TAB become single spaces, everything else as above', () => {
    expect(forTerminal('a\r\nb\nc\rd\te\x1b[31m', { oneLine: true })).toBe('a b c d e\\x1b[31m');
    expect(oneLine(undefined)).toBe('');
    expect(oneLine(42)).toBe('42');
  });
});

describe('table', () => {
  it('keeps every row on one line and no escape byte, whatever the cells hold', () => {
    const out = table(['id', 'title'], [[1, 'Summit\nline two\x1b[2J'], [2, 'plain']]);
    expect(out.split('\n')).toHaveLength(3);
    expect(out).not.toContain('\x1b');
    expect(out.split('\n')[1]).toBe('1   Summit line two\\x1b[2J');
  });
});

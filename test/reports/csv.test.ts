import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from '../../src/reports/csv.js';

/** Splits as a spreadsheet might that ignores quotes: on every `;`, `,`, tab and line break. */
const naiveParts = (cell: string) => cell.replace(/^"|"$/g, '').split(/[,;\t\r\n]/);

describe('csvCell', () => {
  it('quotes an outlet with semicolons and defuses the part a `;`-splitting spreadsheet would evaluate', () => {
    const cell = csvCell('Daily;=1+1;Times');
    expect(cell).toBe(`"Daily;'=1+1;Times"`);
    for (const part of naiveParts(cell)) expect(part).not.toMatch(/^\s*[=+\-@]/);
  });

  it('leaves a plain outlet, an address and a reply with no separators as they were', () => {
    expect(csvCell('The Daily Ledger')).toBe('The Daily Ledger');
    expect(csvCell('h.whitfield@dailyledger.example')).toBe('h.whitfield@dailyledger.example');
    expect(csvCell('250 2.0.0 Ok: queued as 4F2A1')).toBe('250 2.0.0 Ok: queued as 4F2A1');
  });

  it('quotes any cell with a comma, semicolon, tab, quote or line break', () => {
    expect(csvCell('Ledger, The')).toBe('"Ledger, The"');
    expect(csvCell('a;b')).toBe('"a;b"');
    expect(csvCell('a\tb')).toBe('"a\tb"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('line\r\nnext')).toBe('"line\r\nnext"');
  });

  it('defuses a formula however the cell is split: at its start, after any separator, after blanks', () => {
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('x,+1')).toBe(`"x,'+1"`);
    expect(csvCell('x\t-1')).toBe(`"x\t'-1"`);
    expect(csvCell('550 no such user\n=cmd|"/C calc"!A0')).toBe(`"550 no such user\n'=cmd|""/C calc""!A0"`);
    expect(csvCell('Daily; =1+1')).toBe(`"Daily;' =1+1"`);
    expect(csvCell('\tTimes')).toBe(`"'\tTimes"`);
    expect(csvCell('\rTimes')).toBe(`"'\rTimes"`);
  });

  it('leaves numbers and dates as data: a negative number is no formula', () => {
    expect(csvCell(-5)).toBe('-5');
    expect(csvCell(new Date('2026-12-01T09:00:00Z'))).toBe('2026-12-01T09:00:00.000Z');
    expect(csvCell(undefined)).toBe('');
  });
});

describe('toCsv', () => {
  it('keeps the UTF-8 BOM and CRLF line ends', () => {
    expect(toCsv(['outlet'], [['Daily;=1+1;Times'], ['The Daily Ledger']])).toBe(`\uFEFFoutlet\r\n"Daily;'=1+1;Times"\r\nThe Daily Ledger\r\n`);
  });
});

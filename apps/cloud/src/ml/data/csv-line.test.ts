import { describe, expect, it } from 'vitest';
import { parseDecimal, splitCsvLine } from './csv-line.js';

describe('splitCsvLine', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    [' 1 , 2 ', ['1', '2']],
    ['a,,', ['a', '', '']],
    ['', ['']],
    ['"x, y",2', ['x, y', '2']],
    ['"say ""hi""",z', ['say "hi"', 'z']],
    ['1,"2"', ['1', '2']],
  ])('splits %j', (line, fields) => {
    expect(splitCsvLine(line)).toEqual({ ok: true, fields });
  });

  it('reports unterminated quotes and junk after a quoted field', () => {
    expect(splitCsvLine('"abc,1')).toMatchObject({ ok: false, error: expect.stringMatching(/unterminated/) });
    expect(splitCsvLine('"a"b,1')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/after a quoted/),
    });
  });
});

describe('parseDecimal', () => {
  it('accepts decimal numbers only', () => {
    expect(['1', '-2.5', '+.5', '3.', '1e-3', ' 7 '].map(parseDecimal)).toEqual([1, -2.5, 0.5, 3, 0.001, 7]);
    for (const bad of ['', ' ', 'NaN', 'Infinity', '0x10', '1,5', 'abc', '1e999', '--1']) {
      expect(parseDecimal(bad)).toBeUndefined();
    }
  });
});

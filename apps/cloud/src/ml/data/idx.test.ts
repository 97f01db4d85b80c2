import { describe, expect, it } from 'vitest';
import { parseIdx, readIdx } from './idx.js';
import { gz, idxBytes, tempDir } from './test-fixtures.js';
import { DatasetError } from './types.js';

describe('parseIdx', () => {
  it('reads big-endian dims and the bytes after them', () => {
    const a = parseIdx(idxBytes([2, 3, 1], [1, 2, 3, 4, 5, 6]), 3, 'a');
    expect(a.dims).toEqual([2, 3, 1]);
    expect([...a.data]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('rejects a bad magic, truncation and trailing bytes', () => {
    expect(() => parseIdx(idxBytes([2], [1, 2]), 3, 'm')).toThrow(
      /bad IDX magic 0x00000801, expected 0x00000803/,
    );
    expect(() => parseIdx(idxBytes([2], [1, 2], 0x0d01), 1, 'f')).toThrow(/only unsigned-byte/);
    expect(() => parseIdx(idxBytes([4], [1, 2]), 1, 't')).toThrow(/truncated: 2 of 4 bytes/);
    expect(() => parseIdx(idxBytes([1], [1, 2]), 1, 'x')).toThrow(/1 trailing bytes/);
    expect(() => parseIdx(idxBytes([3, 3], []).subarray(0, 9), 2, 'h')).toThrow(/header truncated/);
    expect(() => parseIdx(new Uint8Array(2), 1, 's')).toThrow(DatasetError);
  });
});

describe('readIdx', () => {
  it('reads gzip and plain files, and reports corrupt gzip and missing files', async () => {
    const t = tempDir();
    try {
      const body = idxBytes([3], [7, 8, 9]);
      expect([...(await readIdx(t.write('a.gz', gz(body)), 1)).data]).toEqual([7, 8, 9]);
      expect([...(await readIdx(t.write('a', body), 1)).data]).toEqual([7, 8, 9]);
      const broken = gz(body).subarray(0, 12);
      await expect(readIdx(t.write('b.gz', broken), 1)).rejects.toThrow(/corrupt gzip stream/);
      await expect(readIdx(`${t.dir}/none.gz`, 1)).rejects.toMatchObject({
        code: 'not_found',
        name: 'DatasetError',
      });
    } finally {
      t.done();
    }
  });
});

/**
 * Golden link vectors (PROTOCOL.md §7): the decoder agrees with every `protocol/vectors/link/*.json`,
 * and the generator is deterministic and self-consistent.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VECTORS_DIR, writeVectorFiles } from '../../scripts/vectors/common.js';
import { generateLinkVectors } from '../../scripts/vectors/link.js';
import { Deframer } from './deframer.js';

interface VectorJson {
  valid: boolean;
  error?: string;
  header: Record<string, number>;
  payload: { $hex: string };
}

/** Decodes the stream and compares its last frame with the JSON; returns a mismatch description or ''. */
function check(bin: Uint8Array, want: VectorJson): string {
  const last = new Deframer().push(bin).at(-1);
  if (!last) return 'no frame in stream';
  if (!want.valid) {
    if (last.ok) return `decoded a frame, want error ${want.error}`;
    return last.failure.code === want.error ? '' : `error ${last.failure.code}, want ${want.error}`;
  }
  if (!last.ok) return `error ${last.failure.code}: ${last.failure.message}`;
  for (const [k, v] of Object.entries(want.header)) {
    const got = (last.frame.header as unknown as Record<string, number>)[k];
    if (got !== v) return `header.${k} = ${got}, want ${v}`;
  }
  const hex = Buffer.from(last.frame.payload).toString('hex');
  if (hex !== want.payload.$hex) {
    let i = 0;
    while (hex[i] === want.payload.$hex[i]) i++;
    return `payload differs at byte ${i >> 1}`;
  }
  return '';
}

function checkDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.bin'))) {
    const want = JSON.parse(readFileSync(join(dir, f.replace(/\.bin$/, '.json')), 'utf8')) as VectorJson;
    out[f] = check(readFileSync(join(dir, f)), want);
  }
  return out;
}

const committed = join(VECTORS_DIR, 'link');
const present = existsSync(committed) && readdirSync(committed).some((n) => n.endsWith('.bin'));

describe('link golden vectors (PROTOCOL.md §7)', () => {
  it.skipIf(!present)('the decoder agrees with every committed protocol/vectors/link vector', () => {
    const results = checkDir(committed);
    expect(Object.keys(results).length).toBeGreaterThan(0);
    for (const [name, mismatch] of Object.entries(results)) expect(mismatch, name).toBe('');
  });

  it('the generator is deterministic and its output passes the same check', () => {
    const a = generateLinkVectors();
    const b = generateLinkVectors();
    expect(a.map((f) => f.path)).toEqual(b.map((f) => f.path));
    for (const [i, f] of a.entries()) {
      expect(Buffer.from(f.bytes).equals(Buffer.from(b[i]!.bytes)), f.path).toBe(true);
    }
    const dir = mkdtempSync(join(tmpdir(), 'tf-link-vectors-'));
    writeVectorFiles(dir, a);
    const results = checkDir(join(dir, 'link'));
    expect(Object.keys(results)).toHaveLength(20);
    for (const [name, mismatch] of Object.entries(results)) expect(mismatch, name).toBe('');
    const json = (n: string) => JSON.parse(readFileSync(join(dir, 'link', `${n}.json`), 'utf8'));
    expect(json('hello').decoded).toMatchObject({ window: 16, max_frame_payload: 256, epoch: 0x5eed0001 });
    expect(json('truncated')).toMatchObject({ valid: false, error: 'TRUNCATED' });
    const edge = readFileSync(join(dir, 'link', 'data-cobs-edge.bin'));
    expect(edge[edge.length - 256]).toBe(0xff); // last block: code 0xFF + 254 bytes, then the delimiter
    expect(json('noise-then-frame')).toMatchObject({ valid: true, header: { seq: 0x42 } });
  });
});

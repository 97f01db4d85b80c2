/**
 * The CBOR golden vectors (PROTOCOL.md §7): read with third-party decoders (cbor2, and cbor-x as the
 * encoder's own library) and with decodeMessage. Checks the generator's output in memory and, when
 * present, the committed files under protocol/vectors/cbor.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Decoder as CborXDecoder } from 'cbor-x';
import { decode as cbor2Decode, type TagDecoder } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { generateCborVectors, invalidCborVectors, validCborVectors } from '../../scripts/vectors/cbor.js';
import { VECTORS_DIR } from '../../scripts/vectors/common.js';
import { ProtocolError } from '../errors.js';
import { decodeMessage, encodeMessage } from './index.js';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** Keep typed-array tags raw: cbor2 would otherwise turn them into typed arrays. */
const raw: TagDecoder = (tag) => tag;
const CBOR2_OPTIONS = {
  tags: new Map([69, 78, 85].map((n) => [n, raw])),
  rejectDuplicateKeys: true,
} as const;

/** A value decoded by a third-party decoder, in the §7.2 JSON convention. */
function convention(v: unknown): unknown {
  if (v instanceof Uint8Array) return { $hex: hex(v) };
  if (ArrayBuffer.isView(v)) return { $hex: hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
  if (Array.isArray(v)) return v.map(convention);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [k, convention(x)]));
  if (v !== null && typeof v === 'object') {
    const t = v as { tag?: unknown; contents?: unknown; value?: unknown };
    if (typeof t.tag === 'number' && 'contents' in t) return { $tag: t.tag, value: convention(t.contents) };
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, convention(x)]));
  }
  return v;
}

/** cbor-x returns typed arrays for tags 69/78/85; map them back to tagged byte strings. */
function cborXConvention(v: unknown): unknown {
  const tags = new Map<unknown, number>([
    [Uint16Array, 69],
    [Int32Array, 78],
    [Float32Array, 85],
  ]);
  if (ArrayBuffer.isView(v) && tags.has(v.constructor)) {
    return {
      $tag: tags.get(v.constructor),
      value: { $hex: hex(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) },
    };
  }
  if (typeof v === 'bigint') return Number(v); // cbor-x returns every uint64 as bigint
  if (Array.isArray(v)) return v.map(cborXConvention);
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, cborXConvention(x)]));
  }
  return convention(v);
}

function rejection(bytes: Uint8Array): string {
  try {
    decodeMessage(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ProtocolError);
    return (e as ProtocolError).code;
  }
  return 'accepted';
}

const valid = validCborVectors();
const invalid = invalidCborVectors();

describe('CBOR golden vectors, generated (PROTOCOL.md §7)', () => {
  it.each(valid.map((v) => [v.name, v] as const))('%s: cbor2 reads the intended value', (_, v) => {
    expect(convention(cbor2Decode(v.bytes, CBOR2_OPTIONS))).toEqual(v.json);
  });

  it.each(valid.map((v) => [v.name, v] as const))('%s: cbor-x reads the intended value', (_, v) => {
    const decoded = new CborXDecoder({ useRecords: false, mapsAsObjects: true } as never).decode(v.bytes);
    expect(cborXConvention(decoded)).toEqual(v.json);
  });

  it.each(valid.map((v) => [v.name, v] as const))('%s: decodeMessage accepts it as its type', (_, v) => {
    const m = decodeMessage(v.bytes);
    expect(m.type).toBe(v.type);
    decodeMessage(encodeMessage(m));
  });

  it.each(invalid.map((v) => [v.name, v] as const))('invalid/%s: decodeMessage rejects it', (_, v) => {
    expect(rejection(v.bytes)).toBe(v.error);
  });

  it('covers every message type and has unique names', () => {
    const names = [...valid, ...invalid].map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(valid.map((v) => v.type)).size).toBe(27);
  });

  it('is deterministic', () => {
    const a = generateCborVectors();
    const b = generateCborVectors();
    expect(a.map((f) => `${f.path}:${hex(f.bytes)}`)).toEqual(b.map((f) => `${f.path}:${hex(f.bytes)}`));
  });
});

const DIR = join(VECTORS_DIR, 'cbor');
const committed = existsSync(DIR) ? readdirSync(DIR).filter((f) => f.endsWith('.cbor')) : [];
const committedInvalid = existsSync(join(DIR, 'invalid'))
  ? readdirSync(join(DIR, 'invalid')).filter((f) => f.endsWith('.cbor'))
  : [];

describe.skipIf(committed.length === 0)('CBOR golden vectors, committed (protocol/vectors/cbor)', () => {
  it.each(committed)('%s: cbor2 reads the .json, decodeMessage accepts it', (file) => {
    const bytes = new Uint8Array(readFileSync(join(DIR, file)));
    const json = JSON.parse(readFileSync(join(DIR, file.replace(/\.cbor$/, '.json')), 'utf8'));
    expect(convention(cbor2Decode(bytes, CBOR2_OPTIONS))).toEqual(json);
    expect(() => decodeMessage(bytes)).not.toThrow();
  });

  it.each(committedInvalid)('invalid/%s: decodeMessage rejects it with the stated code', (file) => {
    const bytes = new Uint8Array(readFileSync(join(DIR, 'invalid', file)));
    const json = JSON.parse(readFileSync(join(DIR, 'invalid', file.replace(/\.cbor$/, '.json')), 'utf8'));
    expect(rejection(bytes)).toBe(json.error);
  });

  it('match a fresh generation (npm run gen:vectors)', () => {
    for (const f of generateCborVectors()) {
      const abs = join(VECTORS_DIR, f.path);
      expect(existsSync(abs), `${f.path} missing: run npm run gen:vectors`).toBe(true);
      expect(hex(new Uint8Array(readFileSync(abs))), `${f.path} is stale: run npm run gen:vectors`).toBe(
        hex(f.bytes),
      );
    }
  });
});

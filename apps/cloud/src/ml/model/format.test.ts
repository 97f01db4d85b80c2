import { describe, expect, it } from 'vitest';
import { refCnn } from '../zoo/ref-cnn.js';
import { ModelFileError } from './errors.js';
import { decodeModel, encodeModel } from './format.js';

const graph = refCnn({ seed: 3 });
const bytes = encodeModel({ graph, metadata: { arch: 'ref-cnn' }, training: null });

function code(b: Uint8Array): string {
  try {
    decodeModel(b);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFileError);
    return (e as ModelFileError).code;
  }
  return 'OK';
}

function withHeader(mutate: (h: Record<string, unknown>) => void): Uint8Array {
  const dv = new DataView(bytes.buffer);
  const hlen = dv.getUint32(12, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + hlen))) as Record<string, unknown>;
  mutate(h);
  const hb = new TextEncoder().encode(JSON.stringify(h));
  const pad = (4 - ((16 + hb.length) % 4)) % 4;
  const blob = bytes.subarray(16 + hlen + ((4 - ((16 + hlen) % 4)) % 4));
  const out = new Uint8Array(16 + hb.length + pad + blob.length);
  out.set(bytes.subarray(0, 16));
  new DataView(out.buffer).setUint32(12, hb.length, true);
  out.set(hb, 16);
  out.set(blob, 16 + hb.length + pad);
  return out;
}

describe('.tfmodel format', () => {
  it('round-trips graph, parameters and metadata', () => {
    const m = decodeModel(bytes);
    expect(m.metadata).toEqual({ arch: 'ref-cnn' });
    expect(m.graph.nodes).toEqual(graph.nodes);
    for (const [k, t] of Object.entries(graph.params)) expect(m.graph.params[k]!.data).toEqual(t.data);
    expect(m.training).toBeNull();
  });

  it('gives typed errors for corrupt files', () => {
    expect(code(bytes.subarray(0, 10))).toBe('TRUNCATED');
    const magic = bytes.slice();
    magic[0] = 0x58;
    expect(code(magic)).toBe('BAD_MAGIC');
    const version = bytes.slice();
    new DataView(version.buffer).setUint32(8, 99, true);
    expect(code(version)).toBe('UNSUPPORTED_VERSION');
    expect(code(bytes.subarray(0, bytes.length - 100))).toBe('TRUNCATED');
    const flipped = bytes.slice();
    flipped[flipped.length - 5]! ^= 0xff;
    expect(code(flipped)).toBe('CHECKSUM');
    const json = bytes.slice();
    json[16] = 0x7b + 1;
    expect(code(json)).toBe('BAD_HEADER');
    expect(
      code(withHeader((h) => ((h.graph as { nodes: unknown[] }).nodes[0] = { name: 'x', op: 'lstm' }))),
    ).toBe('BAD_GRAPH');
    expect(code(withHeader((h) => ((h.graph as { outputs: unknown }).outputs = 'fc')))).toBe('BAD_HEADER');
    expect(code(withHeader((h) => ((h.graph as { outputs: string[] }).outputs = ['nope'])))).toBe(
      'BAD_GRAPH',
    );
  });
});

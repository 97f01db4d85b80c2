/**
 * The committed artifact golden vectors (PROTOCOL.md §7) agree with the reader and with the byte
 * tables of §5, read here with literal offsets, independently of layout.ts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VECTORS_DIR } from '../../scripts/vectors/common.js';
import { DType, OpKind, QuantKind, Storage } from '../constants/index.js';
import { toHex } from './hash.js';
import { readArtifact } from './reader.js';
import { keyIdOf, privateKeyFromSeed, rawPublicKey, signedMessage, verifyArtifactSignature } from './sign.js';

const dir = join(VECTORS_DIR, 'artifact');
const present = existsSync(join(dir, 'small.json')) && existsSync(join(dir, 'small.tfm'));
type Hex = { $hex: string };
// biome-ignore lint/suspicious/noExplicitAny: the JSON vector is checked field by field below
type Json = any;

describe.skipIf(!present)('artifact golden vectors (protocol/vectors/artifact)', () => {
  const json: Json = present ? JSON.parse(readFileSync(join(dir, 'small.json'), 'utf8')) : {};
  const signed = present ? new Uint8Array(readFileSync(join(dir, 'small.tfm'))) : new Uint8Array();
  const unsigned = present ? new Uint8Array(readFileSync(join(dir, 'small-unsigned.tfm'))) : new Uint8Array();
  const fromHex = (h: Hex) => new Uint8Array(Buffer.from(h.$hex, 'hex'));
  const view = new DataView(signed.buffer, signed.byteOffset, signed.byteLength);

  it('files match their recorded sizes and digests; unsigned is the signed content', () => {
    const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    expect(signed.length).toBe(json.files.signed.bytes);
    expect(sha(signed)).toBe(json.files.signed.sha256);
    expect(unsigned.length).toBe(json.files.unsigned.bytes);
    expect(sha(unsigned)).toBe(json.files.unsigned.sha256);
    expect(signed.subarray(0, json.header.content_bytes)).toEqual(unsigned);
  });

  it('the reader agrees with the JSON header, sections and training defaults', () => {
    const a = readArtifact(signed);
    const h = json.header;
    expect([a.formatVersion, a.flags, a.contentBytes, a.modelVersion, a.abiVersion]).toEqual([
      h.format_version,
      h.flags,
      h.content_bytes,
      h.model_version,
      h.abi_version,
    ]);
    expect([a.input, a.output, a.arenaInferBytes, a.arenaTrainBytes, a.ramBytes, a.name]).toEqual([
      h.input_tensor,
      h.output_tensor,
      h.arena_infer_bytes,
      h.arena_train_bytes,
      h.ram_bytes,
      h.name,
    ]);
    expect(toHex(a.sha256)).toBe(h.sha256.$hex);
    for (const s of h.sections) {
      expect(a.sections[s.name as keyof typeof a.sections]).toEqual({
        offset: s.offset,
        bytes: s.bytes,
        count: s.count,
      });
    }
    const t = json.training;
    expect(a.training).toEqual({
      trainableOps: t.trainable_ops,
      lambdaMin: t.lambda_min,
      lambdaMax: t.lambda_max,
      learningRate: t.learning_rate,
      batchSize: t.batch_size,
      epsMode: t.eps_mode,
      emaActivations: t.ema_activations,
      emaErrors: t.ema_errors,
      emaWeights: t.ema_weights,
      update: t.update,
      rounding: t.rounding,
    });
    // §5.7 bytes 27, 28 (§6.6.10)
    const at = a.sections.TRAIN.offset;
    expect([signed[at + 27], signed[at + 28]]).toEqual([t.update_value, t.rounding_value]);
  });

  it('the header bytes match the §5.2 table', () => {
    const h = json.header;
    expect(view.getUint32(0, true)).toBe(h.magic);
    expect([view.getUint16(4, true), view.getUint16(6, true), view.getUint32(8, true)]).toEqual([
      1,
      192,
      h.flags,
    ]);
    expect([view.getUint32(12, true), view.getUint32(16, true), view.getUint16(20, true)]).toEqual([
      h.content_bytes,
      h.model_version,
      h.abi_version,
    ]);
    expect([view.getUint16(22, true), view.getUint16(24, true)]).toEqual([h.input_tensor, h.output_tensor]);
    expect([28, 32, 36].map((o) => view.getUint32(o, true))).toEqual([
      h.arena_infer_bytes,
      h.arena_train_bytes,
      h.ram_bytes,
    ]);
    expect(toHex(signed.subarray(80, 112))).toBe(h.sha256.$hex);
    h.sections.forEach((s: Json, i: number) => {
      expect([0, 4, 8].map((o) => view.getUint32(112 + 16 * i + o, true))).toEqual([
        s.offset,
        s.bytes,
        s.count,
      ]);
    });
  });

  it('ops agree with the reader and the §5.4 record layout', () => {
    const a = readArtifact(signed);
    json.ops.forEach((o: Json, i: number) => {
      const at = json.header.sections[0].offset + 48 * i;
      expect(a.ops[i]!.kind).toBe(o.kind);
      expect(OpKind[a.ops[i]!.kind]).toBe(o.kind_value);
      expect([signed[at], signed[at + 1], signed[at + 2]]).toEqual([o.kind_value, o.inputs.length, 1]);
      expect([0, 1, 2, 3].map((k) => view.getUint16(at + 4 + 2 * k, true))).toEqual(
        [0, 1, 2, 3].map((k) => o.inputs[k] ?? 0xffff),
      );
      expect(view.getUint16(at + 12, true)).toBe(o.output);
      expect(a.ops[i]!.inputs).toEqual(o.inputs);
      const p = o.params;
      if ('act_min' in p)
        expect([view.getInt32(at + 32, true), view.getInt32(at + 36, true)]).toEqual([p.act_min, p.act_max]);
      if ('stride_h' in p) {
        const got = [0, 2, 4, 6, 8, 10, 12, 14].map((k) => view.getUint16(at + 16 + k, true));
        const second = [p.dilation_h ?? p.window_h, p.dilation_w ?? p.window_w];
        expect(got).toEqual([
          p.stride_h,
          p.stride_w,
          ...second,
          p.pad_top,
          p.pad_left,
          p.pad_bottom,
          p.pad_right,
        ]);
      }
    });
  });

  it('tensors agree with the reader and the §5.5 record layout', () => {
    const a = readArtifact(signed);
    json.tensors.forEach((j: Json) => {
      const t = a.tensors[j.id]!;
      const at = j.record_offset;
      expect([t.dtype, t.storage, t.flags, t.shape, t.byteSize]).toEqual([
        j.dtype,
        j.storage,
        j.flags,
        j.shape,
        j.byte_size,
      ]);
      expect([DType[t.dtype], Storage[t.storage], QuantKind[t.quant.kind]]).toEqual([
        j.dtype_value,
        j.storage_value,
        j.quant_value,
      ]);
      expect([
        view.getUint16(at, true),
        signed[at + 2],
        signed[at + 3],
        view.getUint16(at + 4, true),
      ]).toEqual([j.id, j.dtype_value, j.storage_value, j.flags_value]);
      expect([signed[at + 6], signed[at + 7]]).toEqual([j.rank, j.quant_value]);
      expect([0, 1, 2, 3].map((k) => view.getUint32(at + 8 + 4 * k, true))).toEqual(
        [0, 1, 2, 3].map((k) => j.shape[k] ?? 0),
      );
      expect([24, 28, 32].map((o) => view.getUint32(at + o, true))).toEqual([
        j.byte_size,
        j.data_offset,
        j.mem_offset,
      ]);
      expect(view.getUint16(at + 46, true)).toBe(j.ref);
      if (j.quant === 'PER_TENSOR') {
        expect(t.quant).toEqual({ kind: 'PER_TENSOR', scale: j.scale, zeroPoint: j.zero_point });
        expect([view.getFloat32(at + 36, true), view.getInt32(at + 40, true)]).toEqual([
          j.scale,
          j.zero_point,
        ]);
      }
      if (j.quant === 'PER_CHANNEL') {
        expect(t.quant).toEqual({
          kind: 'PER_CHANNEL',
          axis: j.q_axis,
          scales: j.scales,
          zeroPoints: j.zero_points,
        });
        expect([signed[at + 44], view.getUint32(at + 48, true), view.getUint32(at + 52, true)]).toEqual([
          j.q_axis,
          j.q_count,
          j.q_offset,
        ]);
        const q = json.header.sections[2].offset + j.q_offset;
        for (const [c, sc] of (j.scales as number[]).entries())
          expect(view.getFloat32(q + 4 * c, true)).toBe(sc);
        for (const [c, z] of (j.zero_points as number[]).entries()) {
          expect(view.getInt32(q + 4 * (j.q_count + c), true)).toBe(z);
        }
      }
      if (j.data) {
        expect(t.data).toEqual(fromHex(j.data));
        expect(signed.subarray(j.data_file_offset, j.data_file_offset + j.byte_size)).toEqual(
          fromHex(j.data),
        );
        expect(j.data_file_offset % 16).toBe(0);
      }
    });
  });

  it('the signature verifies with the TEST key and matches the envelope bytes (§5.9)', () => {
    const s = json.signature;
    const seed = fromHex(s.test_key.seed);
    const pub = rawPublicKey(privateKeyFromSeed(seed));
    expect(toHex(pub)).toBe(s.test_key.public_key.$hex);
    expect(keyIdOf(pub)).toBe(s.key_id.$hex);
    const env = s.envelope_offset;
    expect(Buffer.from(signed.subarray(env, env + 4)).toString('ascii')).toBe('TFSG');
    expect(toHex(signed.subarray(env + 8, env + 16))).toBe(s.key_id.$hex);
    expect(toHex(signed.subarray(env + 16, env + 80))).toBe(s.signature.$hex);
    const a = readArtifact(signed);
    expect(toHex(signedMessage(a.sha256))).toBe(s.signed_message.$hex);
    expect(Buffer.from(fromHex(s.signed_message).subarray(0, 21)).toString('ascii')).toBe(
      'TinyFleet artifact v1',
    );
    expect(verifyArtifactSignature(signed, new Map([[s.key_id.$hex, pub]]))).toEqual({
      keyIdHex: s.key_id.$hex,
    });
    expect(readArtifact(unsigned).signature).toBeNull();
  });
});

/**
 * The kernel vector container (`protocol/vectors/nn/*.tfkv`, documented in protocol/vectors/README.md):
 * a flat, little-endian file a C test reads with a few lines and no JSON parser.
 *
 *   header, 16 bytes: u32 magic 0x564B4654 ("TFKV"), u16 version 1, u8 op kind (OP_KINDS, §5.4;
 *                     0 = a bare requantization case), u8 reserved 0, u16 field count, u16 reserved 0,
 *                     u32 file size
 *   field, repeated:  char[12] name (ASCII, NUL-padded), u8 dtype (DTYPES, §5.5.1), u8 rank (0..4),
 *                     u16 reserved 0, u32[4] shape (unused dimensions 0), then the elements (count =
 *                     product of the used dimensions, 1 for rank 0; little-endian), zero-padded to a
 *                     multiple of 4 bytes
 */
import { DType, type DTypeName } from '../../src/constants/index.js';

export const TFKV_MAGIC = 0x564b4654;
export const TFKV_VERSION = 1;
const HEADER = 16;
const FIELD_HEADER = 32;

export type FieldData = Uint8Array | Int8Array | Int32Array | Float32Array;

export interface Field {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: FieldData;
}

function dtypeOf(d: FieldData): DTypeName {
  if (d instanceof Uint8Array) return 'UINT8';
  if (d instanceof Int8Array) return 'INT8';
  if (d instanceof Int32Array) return 'INT32';
  return 'FLOAT32';
}

const pad4 = (n: number): number => Math.ceil(n / 4) * 4;

export function encodeTfkv(opKind: number, fields: readonly Field[]): Uint8Array {
  const size = fields.reduce((s, f) => s + FIELD_HEADER + pad4(f.data.byteLength), HEADER);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, TFKV_MAGIC, true);
  v.setUint16(4, TFKV_VERSION, true);
  v.setUint8(6, opKind);
  v.setUint16(8, fields.length, true);
  v.setUint32(12, size, true);
  let o = HEADER;
  for (const f of fields) {
    const name = new TextEncoder().encode(f.name);
    if (name.length > 11 || f.shape.length > 4) throw new RangeError(`bad field ${f.name}`);
    const count = f.shape.reduce((p, d) => p * d, 1);
    if (count !== f.data.length)
      throw new RangeError(`field ${f.name}: ${f.data.length} elements, shape ${f.shape}`);
    out.set(name, o);
    v.setUint8(o + 12, DType[dtypeOf(f.data)]);
    v.setUint8(o + 13, f.shape.length);
    f.shape.forEach((d, i) => {
      v.setUint32(o + 16 + 4 * i, d, true);
    });
    o += FIELD_HEADER;
    const dv = new DataView(out.buffer, o);
    f.data.forEach((x, i) => {
      if (f.data instanceof Uint8Array) dv.setUint8(i, x);
      else if (f.data instanceof Int8Array) dv.setInt8(i, x);
      else if (f.data instanceof Int32Array) dv.setInt32(4 * i, x, true);
      else dv.setFloat32(4 * i, x, true);
    });
    o += pad4(f.data.byteLength);
  }
  return out;
}

export interface Tfkv {
  readonly opKind: number;
  readonly fields: ReadonlyMap<string, Field>;
}

/** The reader the C tests mirror (little-endian host); used by the generator's own test. */
export function decodeTfkv(bytes: Uint8Array): Tfkv {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== TFKV_MAGIC || v.getUint16(4, true) !== TFKV_VERSION)
    throw new Error('not a TFKV v1');
  if (v.getUint32(12, true) !== bytes.length) throw new Error('TFKV size mismatch');
  const fields = new Map<string, Field>();
  let o = HEADER;
  for (let k = v.getUint16(8, true); k > 0; k--) {
    const raw = bytes.subarray(o, o + 12);
    const name = new TextDecoder().decode(raw.subarray(0, raw.indexOf(0) < 0 ? 12 : raw.indexOf(0)));
    const dtype = v.getUint8(o + 12);
    const shape = Array.from({ length: v.getUint8(o + 13) }, (_, i) => v.getUint32(o + 16 + 4 * i, true));
    const count = shape.reduce((p, d) => p * d, 1);
    o += FIELD_HEADER;
    const copy = bytes.slice(o, o + count * (dtype >= DType.INT32 ? 4 : 1));
    const data: FieldData =
      dtype === DType.UINT8
        ? copy
        : dtype === DType.INT8
          ? new Int8Array(copy.buffer)
          : dtype === DType.INT32
            ? new Int32Array(copy.buffer)
            : new Float32Array(copy.buffer);
    fields.set(name, { name, shape, data });
    o += pad4(copy.length);
  }
  return { opKind: v.getUint8(6), fields };
}

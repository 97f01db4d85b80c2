/**
 * Byte layout of the model artifact, v1 (PROTOCOL.md §5). Offsets are in bytes, little-endian;
 * the writer and the reader both take every position from here.
 */
import { type DTypeName, P } from '../constants/index.js';

/** Header field offsets (PROTOCOL.md §5.2). */
export const H = {
  MAGIC: 0, // u32
  VERSION: 4, // u16
  HEADER_BYTES: 6, // u16
  FLAGS: 8, // u32
  CONTENT_BYTES: 12, // u32
  MODEL_VERSION: 16, // u32
  ABI_VERSION: 20, // u16
  INPUT: 22, // u16
  OUTPUT: 24, // u16
  RESERVED0: 26, // u16, zero
  ARENA_INFER: 28, // u32
  ARENA_TRAIN: 32, // u32
  RAM_BYTES: 36, // u32
  RESERVED1: 40, // 8 bytes, zero
  NAME: 48, // 32 bytes
  SHA256: 80, // 32 bytes
  SECTIONS: 112, // 5 x 16 bytes
} as const;

/** Section directory entry field offsets, entry i at H.SECTIONS + 16 * i (PROTOCOL.md §5.3). */
export const SEC = { OFFSET: 0, BYTES: 4, COUNT: 8, RESERVED: 12, ENTRY_BYTES: 16 } as const;

/** Op record field offsets (PROTOCOL.md §5.4). */
export const OP = {
  KIND: 0, // u8
  INPUT_COUNT: 1, // u8
  OUTPUT_COUNT: 2, // u8
  RESERVED0: 3, // u8, zero
  INPUTS: 4, // u16 x 4
  OUTPUT: 12, // u16
  RESERVED1: 14, // u16, zero
  PARAMS: 16, // 32 bytes, per kind
  PARAMS_BYTES: 32,
} as const;

/** Offsets inside the op params block, relative to OP.PARAMS (PROTOCOL.md §5.4). */
export const PRM = {
  STRIDE_H: 0, // u16, conv-like and pools
  STRIDE_W: 2, // u16
  DILATION_H: 4, // u16, conv-like; pools: WINDOW_H
  DILATION_W: 6, // u16, conv-like; pools: WINDOW_W
  PAD_TOP: 8, // u16
  PAD_LEFT: 10, // u16
  PAD_BOTTOM: 12, // u16
  PAD_RIGHT: 14, // u16
  ACT_MIN: 16, // i32
  ACT_MAX: 20, // i32
  AXIS: 0, // u16, concat
} as const;

/** Tensor record field offsets (PROTOCOL.md §5.5). */
export const T = {
  ID: 0, // u16
  DTYPE: 2, // u8
  STORAGE: 3, // u8
  FLAGS: 4, // u16
  RANK: 6, // u8
  QUANT: 7, // u8
  SHAPE: 8, // u32 x 4
  BYTE_SIZE: 24, // u32
  DATA_OFFSET: 28, // u32
  MEM_OFFSET: 32, // u32
  SCALE: 36, // f32
  ZERO_POINT: 40, // i32
  Q_AXIS: 44, // u8
  RESERVED0: 45, // u8, zero
  REF: 46, // u16
  Q_COUNT: 48, // u32
  Q_OFFSET: 52, // u32
  RESERVED1: 56, // 8 bytes, zero
} as const;

/** Training defaults record field offsets (PROTOCOL.md §5.7). */
export const TR = {
  LAMBDA_MIN: 0, // f32
  LAMBDA_MAX: 4, // f32
  LEARNING_RATE: 8, // f32
  EMA_ACTIVATIONS: 12, // f32
  EMA_ERRORS: 16, // f32
  EMA_WEIGHTS: 20, // f32
  BATCH_SIZE: 24, // u16
  EPS_MODE: 26, // u8
  UPDATE: 27, // u8, UPDATE_RULES (§6.6.10)
  ROUNDING: 28, // u8, ROUNDING_MODES (§6.6.10)
  RESERVED: 29, // 3 bytes, zero
  OP_INDICES: 32, // u16 x count
} as const;

/** Signature envelope field offsets, relative to the end of the content (PROTOCOL.md §5.9). */
export const SIG = {
  MAGIC: 0,
  RESERVED: 4,
  KEY_ID: 8,
  SIGNATURE: 16,
  KEY_ID_BYTES: 8,
  SIGNATURE_BYTES: 64,
} as const;

/** Domain separation prefix of the signed message (PROTOCOL.md §5.9). */
export const SIGN_DOMAIN = 'TinyFleet artifact v1';

export function align(n: number): number {
  const a = P.ARTIFACT_ALIGN;
  return Math.ceil(n / a) * a;
}

export function elemBytes(dtype: DTypeName): number {
  return dtype === 'UINT8' || dtype === 'INT8' ? 1 : 4;
}

/** Smallest and largest value of a quantized dtype's storage type, or undefined (float). */
export function dtypeRange(dtype: DTypeName): readonly [number, number] | undefined {
  switch (dtype) {
    case 'UINT8':
      return [0, 255];
    case 'INT8':
      return [-128, 127];
    case 'INT32':
      return [-0x80000000, 0x7fffffff];
    default:
      return undefined;
  }
}

/** Named lookups over the constants table (PROTOCOL.md §1.4). */
import {
  ARTIFACT_FLAGS,
  ARTIFACT_SECTIONS,
  type ConstEntry,
  DTYPES,
  EPS_MODES,
  ERROR_CODES,
  FRAME_FLAGS,
  FRAME_TYPES,
  MESSAGE_TYPES,
  OP_KINDS,
  PARAMS,
  QUANT_KINDS,
  STORAGE,
  TENSOR_FLAGS,
} from './table.js';

export { CONST_GROUPS, type ConstEntry } from './table.js';

type NameOf<T extends readonly ConstEntry[]> = T[number]['name'];
type ByName<T extends readonly ConstEntry[]> = {
  readonly [K in NameOf<T>]: Extract<T[number], { name: K }>['value'];
};

function byName<T extends readonly ConstEntry[]>(entries: T): ByName<T> {
  const out: Record<string, number> = {};
  for (const e of entries) out[e.name] = e.value;
  return Object.freeze(out) as ByName<T>;
}

function nameByValue<T extends readonly ConstEntry[]>(entries: T): ReadonlyMap<number, NameOf<T>> {
  return new Map(entries.map((e) => [e.value, e.name as NameOf<T>]));
}

export const P = byName(PARAMS);
export const FrameType = byName(FRAME_TYPES);
export const FrameFlag = byName(FRAME_FLAGS);
export const MsgType = byName(MESSAGE_TYPES);
export const ErrorCode = byName(ERROR_CODES);
export const OpKind = byName(OP_KINDS);
export const DType = byName(DTYPES);
export const Storage = byName(STORAGE);
export const ArtifactFlag = byName(ARTIFACT_FLAGS);
export const ArtifactSection = byName(ARTIFACT_SECTIONS);
export const TensorFlag = byName(TENSOR_FLAGS);
export const QuantKind = byName(QUANT_KINDS);
export const EpsMode = byName(EPS_MODES);

export type FrameTypeName = NameOf<typeof FRAME_TYPES>;
export type MsgTypeName = NameOf<typeof MESSAGE_TYPES>;
export type ErrorCodeName = NameOf<typeof ERROR_CODES>;
export type OpKindName = NameOf<typeof OP_KINDS>;
export type DTypeName = NameOf<typeof DTYPES>;
export type StorageName = NameOf<typeof STORAGE>;
export type ArtifactSectionName = NameOf<typeof ARTIFACT_SECTIONS>;
export type TensorFlagName = NameOf<typeof TENSOR_FLAGS>;
export type QuantKindName = NameOf<typeof QUANT_KINDS>;
export type EpsModeName = NameOf<typeof EPS_MODES>;

export const frameTypeName = nameByValue(FRAME_TYPES);
export const msgTypeName = nameByValue(MESSAGE_TYPES);
export const errorCodeName = nameByValue(ERROR_CODES);
export const opKindName = nameByValue(OP_KINDS);
export const dtypeName = nameByValue(DTYPES);
export const storageName = nameByValue(STORAGE);
export const quantKindName = nameByValue(QUANT_KINDS);
export const epsModeName = nameByValue(EPS_MODES);

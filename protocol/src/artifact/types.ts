/**
 * Typed description of a model artifact (PROTOCOL.md §5): what `writeArtifact` takes and, with the
 * computed layout added, what `readArtifact` returns.
 */
import type { DTypeName, EpsModeName, StorageName, TensorFlagName } from '../constants/index.js';
import type { ROUNDING_MODES, UPDATE_RULES } from '../constants/table.js';

/** PROTOCOL.md §6.6.10 update rule and rounding names (constants table). */
export type UpdateRuleName = (typeof UPDATE_RULES)[number]['name'];
export type RoundingModeName = (typeof ROUNDING_MODES)[number]['name'];

/** Explicit padding in elements, computed by the compiler (PROTOCOL.md §5.4). */
export interface Padding {
  readonly top: number;
  readonly left: number;
  readonly bottom: number;
  readonly right: number;
}

interface OpBase {
  /** Tensor ids; arity and order per kind (PROTOCOL.md §5.4, table 5.4.2). */
  readonly inputs: readonly number[];
  readonly output: number;
}

/** Fused activation clamp in the output's quantized domain (PROTOCOL.md §5.4). */
interface Clamp {
  readonly actMin: number;
  readonly actMax: number;
}

export interface ConvOp extends OpBase, Clamp {
  readonly kind: 'CONV2D' | 'DEPTHWISE_CONV2D' | 'CONV1D';
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padding: Padding;
}

export interface DenseOp extends OpBase, Clamp {
  readonly kind: 'DENSE';
}

export interface PoolOp extends OpBase, Clamp {
  readonly kind: 'MAXPOOL2D' | 'AVGPOOL2D';
  readonly strideH: number;
  readonly strideW: number;
  readonly windowH: number;
  readonly windowW: number;
  readonly padding: Padding;
}

export interface ConcatOp extends OpBase {
  readonly kind: 'CONCAT';
  readonly axis: number;
}

export interface PlainOp extends OpBase {
  readonly kind: 'RELU' | 'RELU6' | 'GLOBAL_AVGPOOL' | 'ADD' | 'RESHAPE' | 'SOFTMAX';
}

export type ArtifactOp = ConvOp | DenseOp | PoolOp | ConcatOp | PlainOp;

/** Quantization of a tensor; scales are stored as float32 (PROTOCOL.md §5.5). */
export type ArtifactQuant =
  | { readonly kind: 'NONE' }
  | { readonly kind: 'PER_TENSOR'; readonly scale: number; readonly zeroPoint: number }
  | {
      readonly kind: 'PER_CHANNEL';
      readonly axis: number;
      readonly scales: readonly number[];
      readonly zeroPoints: readonly number[];
    };

export interface ArtifactTensor {
  readonly dtype: DTypeName;
  readonly storage: StorageName;
  /** Flag names; INPUT/OUTPUT must match the model's input/output ids (PROTOCOL.md §5.5). */
  readonly flags: readonly TensorFlagName[];
  /** Rank 0..4; every dimension >= 1. NHWC for activations. */
  readonly shape: readonly number[];
  readonly quant: ArtifactQuant;
  /** FLASH and RAM_COPY: the initial bytes (exactly the tensor's byte size); absent for ARENA. */
  readonly data?: Uint8Array | undefined;
  /** ARENA: offset in the static arena, 16-aligned, from the memory planner. */
  readonly arenaOffset?: number | undefined;
  /** ERROR and SAVED tensors: the forward tensor this one belongs to. */
  readonly ref?: number | undefined;
}

/** Training defaults (PROTOCOL.md §5.7). */
export interface ArtifactTraining {
  /** Indices into `ops` of the trained layers, ascending. */
  readonly trainableOps: readonly number[];
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly epsMode: EpsModeName;
  /** EMA rates of the range trackers, in [0, 1]; 0 keeps the record's qparams fixed. */
  readonly emaActivations: number;
  readonly emaErrors: number;
  readonly emaWeights: number;
  /** §6.6.10 step direction (byte 27); absent when written = STANDARDIZED. The reader always sets it. */
  readonly update?: UpdateRuleName | undefined;
  /** §6.6.10 rounding (byte 28); absent when written = NEAREST. The reader always sets it. */
  readonly rounding?: RoundingModeName | undefined;
}

/** Everything the writer needs; offsets of sections, data and RAM copies are computed. */
export interface ArtifactModel {
  /** UTF-8, at most 31 bytes, no NUL. */
  readonly name: string;
  readonly modelVersion: number;
  /** Runtime ABI the artifact needs (P.ARTIFACT_ABI_VERSION for this protocol). */
  readonly abiVersion: number;
  readonly input: number;
  readonly output: number;
  /** Static arena sizes from the memory plan (PROTOCOL.md §5.6). */
  readonly arenaInferBytes: number;
  readonly arenaTrainBytes: number;
  readonly ops: readonly ArtifactOp[];
  readonly tensors: readonly ArtifactTensor[];
  readonly training?: ArtifactTraining | null | undefined;
}

export interface SectionInfo {
  readonly offset: number;
  readonly bytes: number;
  readonly count: number;
}

export interface ParsedTensor extends ArtifactTensor {
  readonly id: number;
  readonly byteSize: number;
  /** FLASH/RAM_COPY: offset into the DATA section; `data` is a view of the input bytes. */
  readonly dataOffset?: number | undefined;
  /** RAM_COPY: offset into the RAM region of `ramBytes`. */
  readonly ramOffset?: number | undefined;
  /** PER_CHANNEL: byte offset of the scales in the QPARAMS section. */
  readonly qOffset?: number | undefined;
}

export interface ArtifactSignature {
  readonly keyId: Uint8Array;
  readonly keyIdHex: string;
  readonly signature: Uint8Array;
}

/** What `readArtifact` returns: the model plus its layout, digest and envelope. */
export interface ParsedArtifact extends ArtifactModel {
  readonly formatVersion: number;
  readonly flags: number;
  readonly contentBytes: number;
  readonly ramBytes: number;
  readonly sha256: Uint8Array;
  readonly sections: {
    readonly OPS: SectionInfo;
    readonly TENSORS: SectionInfo;
    readonly QPARAMS: SectionInfo;
    readonly TRAIN: SectionInfo;
    readonly DATA: SectionInfo;
  };
  readonly tensors: readonly ParsedTensor[];
  readonly training: ArtifactTraining | null;
  /** null when unsigned: no envelope, or an envelope with an all-zero key id (PROTOCOL.md §5.9). */
  readonly signature: ArtifactSignature | null;
}

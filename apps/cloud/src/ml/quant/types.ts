/**
 * The quantized graph: what PTQ produces, what the integer interpreter runs and what the artifact
 * writer serialises. Shapes exclude the batch axis (like the float IR); layouts are those of the
 * artifact (PROTOCOL.md §5.4, table 5.4.3): activations NHWC, conv weights OHWI, depthwise 1HWC,
 * conv1d OWI, dense OI. Every activation is uint8, asymmetric, per tensor (PROTOCOL.md §6.1).
 */

/** `real = scale * (q - zeroPoint)`; `scale` is a float32 value (PROTOCOL.md §6.1). */
export interface QParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

export interface QValue {
  readonly name: string;
  readonly shape: readonly number[];
  readonly q: QParams;
}

/** Weights: uint8 per-tensor (zero point 0..255) or int8 symmetric per output channel. */
export interface QWeights {
  readonly dtype: 'uint8' | 'int8';
  readonly shape: readonly number[];
  readonly data: Uint8Array | Int8Array;
  /** One entry (per tensor) or one per output channel. */
  readonly scales: Float32Array;
  readonly zeroPoints: Int32Array;
  /** Channel axis of per-channel weights: 0, or 3 for depthwise (PROTOCOL.md §5.4). */
  readonly axis: number;
}

/** int32 bias with scale s_in * s_w[c] (float32), one scale per channel or one in all. */
export interface QBias {
  readonly data: Int32Array;
  readonly scales: Float32Array;
}

export interface Pad {
  readonly top: number;
  readonly left: number;
  readonly bottom: number;
  readonly right: number;
}

interface QNodeBase {
  readonly name: string;
  readonly inputs: readonly string[];
  /** The output value (same name as the node). */
  readonly output: string;
}

/** Fused activation clamp in the output's quantized domain (PROTOCOL.md §6.3.1). */
export interface Clamp {
  readonly actMin: number;
  readonly actMax: number;
}

export interface QConv extends QNodeBase, Clamp {
  readonly op: 'conv2d' | 'depthwiseConv2d' | 'conv1d';
  readonly weight: QWeights;
  readonly bias: QBias;
  /** [h, w]; conv1d uses [1, w] on a [1, T, C] view. */
  readonly strides: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly kernel: readonly [number, number];
  readonly pad: Pad;
}

export interface QDense extends QNodeBase, Clamp {
  readonly op: 'dense';
  readonly weight: QWeights;
  readonly bias: QBias;
}

export interface QPool extends QNodeBase, Clamp {
  readonly op: 'maxPool' | 'avgPool';
  readonly window: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly pad: Pad;
}

export interface QPlain extends QNodeBase {
  readonly op: 'relu' | 'relu6' | 'globalAvgPool' | 'add' | 'concat' | 'reshape' | 'softmax';
}

export type QNode = QConv | QDense | QPool | QPlain;
export type QOp = QNode['op'];

export interface QGraph {
  readonly name: string;
  readonly input: string;
  readonly output: string;
  /** Every activation: the input and each node's output. */
  readonly values: ReadonlyMap<string, QValue>;
  /** Topological order. */
  readonly nodes: readonly QNode[];
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

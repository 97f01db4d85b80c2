/**
 * The TinyFleet graph IR: a plain, serializable description of a float model.
 *
 * - Layout is NHWC with the batch axis first. Shapes in the IR never include the batch axis:
 *   an image value is `[H, W, C]`, a time series `[T, C]` (treated as `[1, T, C]` by 1-D ops),
 *   a feature vector `[F]`.
 * - `nodes` are in topological order. Every node produces exactly one value, named like the node.
 *   `inputs` name graph inputs or earlier nodes. No node may appear twice; names are unique
 *   across inputs and nodes.
 * - Parameters live in `params`, keyed by a global name (`"<node>.<role>"` by convention) and
 *   referenced from a node's `params` map by role. Weight layouts:
 *     conv2d `weight` [KH, KW, Cin, Cout] · depthwiseConv2d `weight` [KH, KW, C] (multiplier 1) ·
 *     conv1d `weight` [K, Cin, Cout] · dense `weight` [In, Out] · `bias` [Cout|Out|C] ·
 *     batchNorm `gamma`, `beta` (trainable) and `mean`, `variance` (running statistics, not trained).
 * - `outputs` lists the values the model returns (normally one: the class logits; a trailing
 *   `softmax` node is skipped by the trainer, which applies softmax + cross-entropy itself).
 *
 * Passes (shape inference, BN folding, ONNX, pruning, quantization, NAS) walk `nodes` in order and
 * rewrite by building new arrays; nothing here holds hidden state.
 */

export type Shape = readonly number[];
export type Padding = 'same' | 'valid';

/** A named float tensor; `data.length` equals the product of `shape`. */
export interface Tensor {
  readonly shape: Shape;
  readonly data: Float32Array;
}

export interface ValueSpec {
  readonly name: string;
  readonly shape: Shape;
}

interface NodeOf<Op extends string, Attrs, Params extends string = never> {
  readonly name: string;
  readonly op: Op;
  readonly inputs: readonly string[];
  readonly attrs: Attrs;
  /** Role -> key in `Graph.params`. */
  readonly params: { readonly [R in Params]: string } & { readonly [R in string]?: string };
}

/** Spatial attrs: `kernel`, `strides`, `dilation` have 2 entries for 2-D ops, 1 for 1-D ops. */
export interface ConvAttrs {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilation: readonly number[];
  readonly padding: Padding;
}

export type Conv2DNode = NodeOf<'conv2d', ConvAttrs & { readonly filters: number }, 'weight'>;
export type DepthwiseConv2DNode = NodeOf<'depthwiseConv2d', ConvAttrs, 'weight'>;
export type Conv1DNode = NodeOf<'conv1d', ConvAttrs & { readonly filters: number }, 'weight'>;
export type DenseNode = NodeOf<'dense', { readonly units: number }, 'weight'>;
export type BatchNormNode = NodeOf<
  'batchNorm',
  { readonly epsilon: number; readonly momentum: number },
  'gamma' | 'beta' | 'mean' | 'variance'
>;
export type ReluNode = NodeOf<'relu', Record<string, never>>;
export type Relu6Node = NodeOf<'relu6', Record<string, never>>;
/** Pools take `[H, W, C]` (2-entry kernel) or `[T, C]` (1-entry kernel). */
export type PoolAttrs = {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly padding: Padding;
};
export type MaxPoolNode = NodeOf<'maxPool', PoolAttrs>;
/** Average over the window's valid (non-padding) elements. */
export type AvgPoolNode = NodeOf<'avgPool', PoolAttrs>;
/** Mean over all positions: `[H, W, C]` or `[T, C]` -> `[C]`. */
export type GlobalAvgPoolNode = NodeOf<'globalAvgPool', Record<string, never>>;
/** Element-wise sum of two or more inputs of identical shape (residual connections). */
export type AddNode = NodeOf<'add', Record<string, never>>;
/** Concatenation along the last (channel) axis; other axes must match. */
export type ConcatNode = NodeOf<'concat', Record<string, never>>;
/** `[...]` -> `[product]`. */
export type FlattenNode = NodeOf<'flatten', Record<string, never>>;
/** Reinterprets the element order (no data movement); one entry of `shape` may be -1. */
export type ReshapeNode = NodeOf<'reshape', { readonly shape: readonly number[] }>;
/** Inverted dropout: scales kept activations by 1/(1-rate) in training, identity in eval. */
export type DropoutNode = NodeOf<'dropout', { readonly rate: number }>;
/** Softmax over the last axis. */
export type SoftmaxNode = NodeOf<'softmax', Record<string, never>>;

export type Node =
  | Conv2DNode
  | DepthwiseConv2DNode
  | Conv1DNode
  | DenseNode
  | BatchNormNode
  | ReluNode
  | Relu6Node
  | MaxPoolNode
  | AvgPoolNode
  | GlobalAvgPoolNode
  | AddNode
  | ConcatNode
  | FlattenNode
  | ReshapeNode
  | DropoutNode
  | SoftmaxNode;

export type OpType = Node['op'];

export const OP_TYPES: readonly OpType[] = [
  'conv2d',
  'depthwiseConv2d',
  'conv1d',
  'dense',
  'batchNorm',
  'relu',
  'relu6',
  'maxPool',
  'avgPool',
  'globalAvgPool',
  'add',
  'concat',
  'flatten',
  'reshape',
  'dropout',
  'softmax',
];

export interface Graph {
  readonly name: string;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly string[];
  readonly nodes: readonly Node[];
  readonly params: Readonly<Record<string, Tensor>>;
}

/** Parameter roles that are running statistics (saved, not trained, not decayed). */
export const BUFFER_ROLES: ReadonlySet<string> = new Set(['mean', 'variance']);
/** Parameter roles that get weight decay. */
export const DECAYED_ROLES: ReadonlySet<string> = new Set(['weight']);

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

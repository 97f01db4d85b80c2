/** What the plan hands each op implementation, and what the op gives back. */
import type { Node, Shape } from '../graph/types.js';
import type { Arena, Buf } from '../kernels/arena.js';
import type { Kernels } from '../kernels/kernels.js';
import type { Collective } from './collective.js';

export interface LayerContext<N extends Node = Node> {
  readonly node: N;
  /** Input shapes without batch. */
  readonly inShapes: readonly Shape[];
  readonly outShape: Shape;
  /** Maximum batch size the buffers hold. */
  readonly capacity: number;
  readonly training: boolean;
  /** Activations: inputs and output, `capacity * size` floats each. */
  readonly x: readonly Buf[];
  readonly y: Buf;
  /** Gradient of the loss w.r.t. the output (training only). */
  readonly dy: Buf | null;
  /** Where to write input gradients; null where none is needed (graph inputs). Always overwritten. */
  readonly dx: readonly (Buf | null)[];
  /** Parameters by role, and their gradients (training, trainable roles only; overwritten). */
  readonly p: Readonly<Record<string, Buf>>;
  readonly g: Readonly<Record<string, Buf>>;
  readonly kernels: Kernels;
  readonly arena: Arena;
  /** Seed for stochastic ops (dropout). */
  readonly seed: number;
  /** The other shards of a data-parallel step (BatchNorm reduces its batch statistics over them). */
  readonly collective: Collective;
}

export interface Layer {
  /** Compute `y` for the first `n` samples; `step` seeds stochastic ops (same step, same mask). */
  forward(n: number, training: boolean, step: number): void;
  /** Compute parameter gradients and `dx` from `dy` for the first `n` samples (after `forward`). */
  backward(n: number): void;
}

export type LayerFactory<N extends Node = Node> = (ctx: LayerContext<N>) => Layer;

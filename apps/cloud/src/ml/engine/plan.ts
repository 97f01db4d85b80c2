/**
 * A compiled graph: shapes inferred, every activation / gradient / parameter placed in one arena,
 * one layer object per node. Parameters are laid out contiguously in node order, so the optimizer
 * sees one flat vector (`params`) and one flat gradient (`grads`).
 */
import { inferShapes } from '../graph/shapes.js';
import {
  BUFFER_ROLES,
  DECAYED_ROLES,
  type Graph,
  type Node,
  type Shape,
  shapeSize,
  type Tensor,
} from '../graph/types.js';
import { Arena, type Buf } from '../kernels/arena.js';
import { Kernels } from '../kernels/kernels.js';
import { mixSeed } from '../tensor/rng.js';
import { type Collective, LOCAL } from './collective.js';
import type { Layer } from './layer.js';
import { ALIAS_OPS, createLayer } from './registry.js';

export interface PlanOptions {
  /** Maximum batch size. */
  readonly batch: number;
  /** Allocate gradients and keep what backward needs. */
  readonly training: boolean;
  readonly seed?: number;
  /**
   * Data-parallel shards this plan is one of (default: alone). BatchNorm then normalises with the
   * statistics of the whole batch across shards; dropout masks are seeded per rank.
   */
  readonly collective?: Collective;
}

/** Where one parameter tensor sits in the flat vectors. */
export interface ParamSlot {
  readonly key: string;
  readonly shape: Shape;
  readonly offset: number;
  readonly length: number;
  /** Trainable (in `params`/`grads`) or a running statistic (in `buffers`). */
  readonly trainable: boolean;
  readonly decay: boolean;
}

export class Plan {
  readonly arena: Arena;
  readonly kernels: Kernels;
  readonly shapes: Map<string, Shape>;
  readonly slots: ParamSlot[] = [];
  /** Flat trainable parameters, their gradients, and the running statistics. */
  readonly params: Buf;
  readonly grads: Buf;
  readonly buffers: Buf;
  /** The value the loss is computed on (the output, or the input of a trailing softmax). */
  readonly logits: string;
  private readonly acts = new Map<string, Buf>();
  private readonly gradOf = new Map<string, Buf | null>();
  private readonly sums = new Map<string, Buf[]>();
  private readonly layers: Layer[] = [];
  private readonly backwardNodes: boolean[] = [];

  constructor(
    readonly graph: Graph,
    readonly options: PlanOptions,
  ) {
    const { batch, training } = options;
    const collective = options.collective ?? LOCAL;
    const rank = collective.rank;
    const seed = options.seed ?? 0;
    this.shapes = inferShapes(graph);
    this.arena = new Arena();
    this.kernels = new Kernels(this.arena);
    const byName = new Map(graph.nodes.map((n) => [n.name, n]));
    const out = graph.outputs[0]!;
    const outNode = byName.get(out);
    this.logits = outNode?.op === 'softmax' ? outNode.inputs[0]! : out;

    // parameters, in node order
    let nTrain = 0;
    let nBuf = 0;
    const seen = new Set<string>();
    for (const node of graph.nodes) {
      for (const [role, key] of Object.entries(node.params)) {
        if (key === undefined || seen.has(key)) continue;
        seen.add(key);
        const t = graph.params[key]!;
        const trainable = !BUFFER_ROLES.has(role);
        const offset = trainable ? nTrain : nBuf;
        if (trainable) nTrain += t.data.length;
        else nBuf += t.data.length;
        this.slots.push({
          key,
          shape: t.shape,
          offset,
          length: t.data.length,
          trainable,
          decay: DECAYED_ROLES.has(role),
        });
      }
    }
    this.params = this.arena.alloc(nTrain);
    this.grads = this.arena.alloc(training ? nTrain : 0);
    this.buffers = this.arena.alloc(nBuf);
    this.importParams(graph.params);

    // which nodes the loss depends on, and which values need a gradient
    const ancestors = new Set<string>();
    const stack = [this.logits];
    while (stack.length > 0) {
      const v = stack.pop()!;
      const n = byName.get(v);
      if (!n || ancestors.has(v)) continue;
      ancestors.add(v);
      stack.push(...n.inputs);
    }
    const needsGrad = new Set<string>();
    const uses = new Map<string, number>();
    for (const node of graph.nodes) {
      if (!training || !ancestors.has(node.name)) continue;
      const hasTrainable = Object.keys(node.params).some((r) => !BUFFER_ROLES.has(r));
      if (hasTrainable || node.inputs.some((i) => needsGrad.has(i))) needsGrad.add(node.name);
      for (const i of node.inputs) if (needsGrad.has(i)) uses.set(i, (uses.get(i) ?? 0) + 1);
    }

    for (const spec of graph.inputs)
      this.acts.set(spec.name, this.arena.alloc(batch * shapeSize(spec.shape)));
    graph.nodes.forEach((node, index) => {
      const size = shapeSize(this.shapes.get(node.name)!);
      const x = node.inputs.map((i) => this.acts.get(i)!);
      const dx = node.inputs.map((i) => this.inputGradSlot(i, uses, batch));
      const alias = ALIAS_OPS.has(node.op);
      const y = alias ? x[0]! : this.arena.alloc(batch * size);
      this.acts.set(node.name, y);
      const inBackward = needsGrad.has(node.name);
      this.backwardNodes.push(inBackward);
      let dy: Buf | null = null;
      if (inBackward) dy = alias ? dx[0]! : this.arena.alloc(batch * size);
      this.gradOf.set(node.name, dy);
      const p: Record<string, Buf> = {};
      const g: Record<string, Buf> = {};
      for (const [role, key] of Object.entries(node.params)) {
        if (key === undefined) continue;
        const slot = this.slot(key);
        p[role] = (slot.trainable ? this.params : this.buffers).slice(slot.offset, slot.length);
        if (slot.trainable && training) g[role] = this.grads.slice(slot.offset, slot.length);
      }
      this.layers.push(
        createLayer({
          node,
          inShapes: node.inputs.map((i) => this.shapes.get(i)!),
          outShape: this.shapes.get(node.name)!,
          capacity: batch,
          training,
          x,
          y,
          dy,
          dx,
          p,
          g,
          kernels: this.kernels,
          arena: this.arena,
          seed: rank === 0 ? mixSeed(seed, index) : mixSeed(mixSeed(seed, index), 0x5a4d + rank),
          collective,
        }),
      );
    });
  }

  private inputGradSlot(value: string, uses: Map<string, number>, batch: number): Buf | null {
    const count = uses.get(value) ?? 0;
    const grad = this.gradOf.get(value) ?? null;
    if (count === 0 || grad === null) return null;
    if (count === 1) return grad;
    const temp = this.arena.alloc(batch * shapeSize(this.shapes.get(value)!));
    const list = this.sums.get(value) ?? [];
    list.push(temp);
    this.sums.set(value, list);
    return temp;
  }

  slot(key: string): ParamSlot {
    const s = this.slots.find((x) => x.key === key);
    if (!s) throw new Error(`no parameter ${key}`);
    return s;
  }

  /** Activation buffer of a value (graph input, node output). */
  act(value: string): Buf {
    const b = this.acts.get(value);
    if (!b) throw new Error(`no value ${value}`);
    return b;
  }

  /** Gradient buffer of a value (null if the loss does not depend on it). */
  grad(value: string): Buf | null {
    return this.gradOf.get(value) ?? null;
  }

  get inputName(): string {
    return this.graph.inputs[0]!.name;
  }

  /** Run the first `n` samples of the input buffer; `step` seeds dropout masks. */
  forward(n: number, training: boolean, step = 0): void {
    if (n > this.options.batch)
      throw new RangeError(`batch ${n} exceeds plan capacity ${this.options.batch}`);
    if (training && !this.options.training) throw new Error('plan was compiled for inference');
    for (const layer of this.layers) layer.forward(n, training, step);
  }

  /** Backpropagate from `grad(logits)`, which the caller has filled. */
  backward(n: number): void {
    const nodes = this.graph.nodes;
    for (let i = nodes.length - 1; i >= 0; i--) {
      if (!this.backwardNodes[i]) continue;
      const node: Node = nodes[i]!;
      this.sumInto(node.name, n);
      this.layers[i]!.backward(n);
    }
  }

  private sumInto(value: string, n: number): void {
    const temps = this.sums.get(value);
    if (!temps) return;
    const len = n * shapeSize(this.shapes.get(value)!);
    const g = this.gradOf.get(value)!.f32;
    g.set(temps[0]!.f32.subarray(0, len));
    for (let k = 1; k < temps.length; k++) {
      const t = temps[k]!.f32;
      for (let i = 0; i < len; i++) g[i]! += t[i]!;
    }
  }

  importParams(params: Readonly<Record<string, Tensor>>): void {
    for (const s of this.slots) {
      const t = params[s.key];
      if (!t || t.data.length !== s.length)
        throw new Error(`parameter ${s.key} missing or of the wrong size`);
      (s.trainable ? this.params : this.buffers).f32.set(t.data, s.offset);
    }
  }

  /** Copies of the current parameters, keyed like `graph.params`. */
  exportParams(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    for (const s of this.slots) {
      const src = (s.trainable ? this.params : this.buffers).f32;
      out[s.key] = { shape: s.shape, data: src.slice(s.offset, s.offset + s.length) };
    }
    return out;
  }

  /** The graph with the current parameters. */
  toGraph(): Graph {
    return { ...this.graph, params: { ...this.graph.params, ...this.exportParams() } };
  }
}

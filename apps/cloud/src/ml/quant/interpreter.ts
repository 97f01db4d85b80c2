/**
 * The integer reference interpreter: runs a `QGraph` on one uint8 sample, op by op, with the kernels
 * of PROTOCOL.md §6.3. `prepare` derives every requantization from the float32 scales once (as a
 * device does at load, §6.2.2); `run` only computes.
 */
import { add, addParams, concat, relu, softmax } from './elementwise.js';
import { QuantError } from './errors.js';
import { conv2d, dense, depthwiseConv2d, globalAvgPool, pool, type WeightedArgs } from './kernels.js';
import { deriveRequant } from './requant.js';
import { type QConv, type QDense, type QGraph, type QNode, type QValue, size } from './types.js';

/** One prepared node: reads its inputs from `values`, sets its output there. */
export type Step = (values: Map<string, Uint8Array>) => void;

/**
 * Prepares the step of a weighted op (CONV2D, CONV1D, DEPTHWISE_CONV2D, DENSE) with other loops that
 * give the same numbers (e.g. ../nas/qeval/fast.ts); every other op keeps the reference kernels.
 */
export type WeightedSteps = (n: QConv | QDense, x: QValue, y: QValue) => Step;

export class Interpreter {
  private readonly weighted: WeightedSteps | undefined;
  private readonly steps: Step[];

  constructor(
    readonly graph: QGraph,
    options: { weighted?: WeightedSteps } = {},
  ) {
    this.weighted = options.weighted;
    this.steps = graph.nodes.map((n) => this.prepareNode(n));
  }

  value(name: string): QValue {
    const v = this.graph.values.get(name);
    if (!v) throw new QuantError('BAD_GRAPH', `unknown value "${name}"`);
    return v;
  }

  /** Runs one sample; returns every value (input included), keyed by name. */
  runAll(input: Uint8Array): Map<string, Uint8Array> {
    const inSize = size(this.value(this.graph.input).shape);
    if (input.length !== inSize) {
      throw new QuantError('BAD_GRAPH', `input has ${input.length} elements, expected ${inSize}`);
    }
    const values = new Map<string, Uint8Array>([[this.graph.input, input]]);
    for (const step of this.steps) step(values);
    return values;
  }

  run(input: Uint8Array): Uint8Array {
    return this.runAll(input).get(this.graph.output)!;
  }

  private prepareNode(n: QNode): Step {
    const xv = this.value(n.inputs[0]!);
    const yv = this.value(n.output);
    const ySize = size(yv.shape);
    const get = (values: Map<string, Uint8Array>, name: string): Uint8Array => {
      const b = values.get(name);
      if (!b) throw new QuantError('BAD_GRAPH', `value "${name}" used before it is computed`, n.name);
      return b;
    };
    switch (n.op) {
      case 'conv2d':
      case 'conv1d':
      case 'depthwiseConv2d':
      case 'dense': {
        if (this.weighted) return this.weighted(n, xv, yv);
        const w = n.weight;
        const requant = Array.from(w.scales, (s) => deriveRequant(xv.q.scale, s, yv.q.scale));
        const args = (x: Uint8Array): WeightedArgs => ({
          x,
          xZero: xv.q.zeroPoint,
          w: w.data,
          wZero: w.zeroPoints,
          bias: n.bias.data,
          requant,
          yZero: yv.q.zeroPoint,
          clamp: n,
        });
        if (n.op === 'dense') {
          const inputs = size(xv.shape);
          return (vals) => {
            const y = new Uint8Array(ySize);
            dense(inputs, yv.shape[0]!, args(get(vals, n.inputs[0]!)), y);
            vals.set(n.output, y);
          };
        }
        // conv1d: [T, C] seen as [1, T, C]
        const xs = xv.shape.length === 2 ? [1, ...xv.shape] : xv.shape;
        const ys = yv.shape.length === 2 ? [1, ...yv.shape] : yv.shape;
        const geom = {
          inH: xs[0]!,
          inW: xs[1]!,
          inC: xs[2]!,
          outH: ys[0]!,
          outW: ys[1]!,
          outC: ys[2]!,
          kernel: n.kernel,
          strides: n.strides,
          dilation: n.dilation,
          pad: n.pad,
        };
        const kernel = n.op === 'depthwiseConv2d' ? depthwiseConv2d : conv2d;
        return (vals) => {
          const y = new Uint8Array(ySize);
          kernel(geom, args(get(vals, n.inputs[0]!)), y);
          vals.set(n.output, y);
        };
      }
      case 'maxPool':
      case 'avgPool': {
        const xs = xv.shape.length === 2 ? [1, ...xv.shape] : xv.shape;
        const ys = yv.shape.length === 2 ? [1, ...yv.shape] : yv.shape;
        const geom = {
          inH: xs[0]!,
          inW: xs[1]!,
          C: xs[2]!,
          outH: ys[0]!,
          outW: ys[1]!,
          window: n.window,
          strides: n.strides,
          pad: n.pad,
        };
        const kind = n.op === 'maxPool' ? 'max' : 'avg';
        return (vals) => {
          const y = new Uint8Array(ySize);
          pool(kind, geom, n, get(vals, n.inputs[0]!), y);
          vals.set(n.output, y);
        };
      }
      case 'globalAvgPool': {
        const C = xv.shape[xv.shape.length - 1]!;
        const positions = size(xv.shape) / C;
        return (vals) => {
          const y = new Uint8Array(ySize);
          globalAvgPool(positions, C, get(vals, n.inputs[0]!), y);
          vals.set(n.output, y);
        };
      }
      case 'relu':
      case 'relu6':
        return (vals) => {
          const y = new Uint8Array(ySize);
          relu(n.op as 'relu' | 'relu6', xv.q, get(vals, n.inputs[0]!), y);
          vals.set(n.output, y);
        };
      case 'reshape':
        return (vals) => {
          vals.set(n.output, get(vals, n.inputs[0]!));
        };
      case 'add': {
        const bv = this.value(n.inputs[1]!);
        const p = addParams(xv.q, bv.q, yv.q);
        return (vals) => {
          const y = new Uint8Array(ySize);
          add(p, xv.q, bv.q, yv.q, get(vals, n.inputs[0]!), get(vals, n.inputs[1]!), y);
          vals.set(n.output, y);
        };
      }
      case 'concat': {
        const ins = n.inputs.map((i) => this.value(i));
        const positions = ySize / yv.shape[yv.shape.length - 1]!;
        return (vals) => {
          const y = new Uint8Array(ySize);
          const parts = ins.map((v) => ({
            x: get(vals, v.name),
            q: v.q,
            channels: v.shape[v.shape.length - 1]!,
          }));
          concat(parts, yv.q, positions, y);
          vals.set(n.output, y);
        };
      }
      case 'softmax': {
        const row = xv.shape[xv.shape.length - 1]!;
        return (vals) => {
          const y = new Uint8Array(ySize);
          softmax(xv.q, row, get(vals, n.inputs[0]!), y);
          vals.set(n.output, y);
        };
      }
    }
  }
}

/** Index of the largest value (the first on ties). */
export function argmax(y: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < y.length; i++) if (y[i]! > y[best]!) best = i;
  return best;
}

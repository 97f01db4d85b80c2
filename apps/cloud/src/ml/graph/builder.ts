/** Fluent construction of graphs with seeded parameter init (used by the zoo and tests). */
import { Rng } from '../tensor/rng.js';
import { inferNodeShape } from './shapes.js';
import type { Graph, Node, Padding, Shape, Tensor } from './types.js';

export interface ConvOptions {
  strides?: number;
  padding?: Padding;
  dilation?: number;
  bias?: boolean;
}

export interface PoolOptions {
  strides?: number;
  padding?: Padding;
}

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly params: Record<string, Tensor> = {};
  private readonly shapes = new Map<string, Shape>();
  private readonly rng: Rng;
  private counter = 0;

  constructor(
    readonly name: string,
    readonly inputShape: Shape,
    seed = 0,
    readonly inputName = 'input',
  ) {
    this.rng = new Rng(seed);
    this.shapes.set(inputName, inputShape);
  }

  get input(): string {
    return this.inputName;
  }

  shape(value: string): Shape {
    const s = this.shapes.get(value);
    if (!s) throw new Error(`unknown value ${value}`);
    return s;
  }

  private fresh(prefix: string): string {
    this.counter++;
    return `${prefix}${this.counter}`;
  }

  private tensor(shape: number[], fill: (i: number) => number): Tensor {
    let n = 1;
    for (const d of shape) n *= d;
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = fill(i);
    return { shape, data };
  }

  /** He-uniform weights (for ReLU networks), zero biases. */
  private weight(key: string, shape: number[], fanIn: number): string {
    const limit = Math.sqrt(6 / fanIn);
    this.params[key] = this.tensor(shape, () => this.rng.uniform(-limit, limit));
    return key;
  }

  private zeros(key: string, shape: number[], value = 0): string {
    this.params[key] = this.tensor(shape, () => value);
    return key;
  }

  add(node: Node): string {
    const ins = node.inputs.map((i) => this.shape(i));
    this.shapes.set(node.name, inferNodeShape(this.params, node, ins));
    this.nodes.push(node);
    return node.name;
  }

  conv2d(
    x: string,
    filters: number,
    kernel: number | [number, number],
    o: ConvOptions = {},
    name?: string,
  ): string {
    const n = name ?? this.fresh('conv');
    const [kh, kw] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
    const cin = this.shape(x)[2] ?? 1;
    const s = o.strides ?? 1;
    const d = o.dilation ?? 1;
    const params: Record<string, string> = {
      weight: this.weight(`${n}.weight`, [kh, kw, cin, filters], kh * kw * cin),
    };
    if (o.bias !== false) params.bias = this.zeros(`${n}.bias`, [filters]);
    return this.add({
      name: n,
      op: 'conv2d',
      inputs: [x],
      attrs: { filters, kernel: [kh, kw], strides: [s, s], dilation: [d, d], padding: o.padding ?? 'same' },
      params: params as { weight: string },
    });
  }

  depthwise(x: string, kernel: number, o: ConvOptions = {}, name?: string): string {
    const n = name ?? this.fresh('dw');
    const c = this.shape(x)[2] ?? 1;
    const s = o.strides ?? 1;
    const d = o.dilation ?? 1;
    const params: Record<string, string> = {
      weight: this.weight(`${n}.weight`, [kernel, kernel, c], kernel * kernel),
    };
    if (o.bias !== false) params.bias = this.zeros(`${n}.bias`, [c]);
    return this.add({
      name: n,
      op: 'depthwiseConv2d',
      inputs: [x],
      attrs: { kernel: [kernel, kernel], strides: [s, s], dilation: [d, d], padding: o.padding ?? 'same' },
      params: params as { weight: string },
    });
  }

  conv1d(x: string, filters: number, kernel: number, o: ConvOptions = {}, name?: string): string {
    const n = name ?? this.fresh('conv1d');
    const cin = this.shape(x)[1] ?? 1;
    const params: Record<string, string> = {
      weight: this.weight(`${n}.weight`, [kernel, cin, filters], kernel * cin),
    };
    if (o.bias !== false) params.bias = this.zeros(`${n}.bias`, [filters]);
    return this.add({
      name: n,
      op: 'conv1d',
      inputs: [x],
      attrs: {
        filters,
        kernel: [kernel],
        strides: [o.strides ?? 1],
        dilation: [o.dilation ?? 1],
        padding: o.padding ?? 'same',
      },
      params: params as { weight: string },
    });
  }

  dense(x: string, units: number, name?: string): string {
    const n = name ?? this.fresh('dense');
    const fin = this.shape(x)[0] ?? 1;
    const limit = Math.sqrt(6 / (fin + units));
    this.params[`${n}.weight`] = this.tensor([fin, units], () => this.rng.uniform(-limit, limit));
    return this.add({
      name: n,
      op: 'dense',
      inputs: [x],
      attrs: { units },
      params: { weight: `${n}.weight`, bias: this.zeros(`${n}.bias`, [units]) },
    });
  }

  batchNorm(x: string, name?: string, epsilon = 1e-3, momentum = 0.1): string {
    const n = name ?? this.fresh('bn');
    const s = this.shape(x);
    const c = s[s.length - 1] ?? 1;
    return this.add({
      name: n,
      op: 'batchNorm',
      inputs: [x],
      attrs: { epsilon, momentum },
      params: {
        gamma: this.zeros(`${n}.gamma`, [c], 1),
        beta: this.zeros(`${n}.beta`, [c]),
        mean: this.zeros(`${n}.mean`, [c]),
        variance: this.zeros(`${n}.variance`, [c], 1),
      },
    });
  }

  private simple(
    op: 'relu' | 'relu6' | 'globalAvgPool' | 'flatten' | 'softmax',
    inputs: string[],
    name?: string,
  ): string {
    return this.add({ name: name ?? this.fresh(op), op, inputs, attrs: {}, params: {} } as Node);
  }

  relu(x: string, name?: string): string {
    return this.simple('relu', [x], name);
  }
  relu6(x: string, name?: string): string {
    return this.simple('relu6', [x], name);
  }
  globalAvgPool(x: string, name?: string): string {
    return this.simple('globalAvgPool', [x], name);
  }
  flatten(x: string, name?: string): string {
    return this.simple('flatten', [x], name);
  }
  softmax(x: string, name?: string): string {
    return this.simple('softmax', [x], name);
  }

  addN(inputs: string[], name?: string): string {
    return this.add({ name: name ?? this.fresh('add'), op: 'add', inputs, attrs: {}, params: {} });
  }

  concat(inputs: string[], name?: string): string {
    return this.add({ name: name ?? this.fresh('concat'), op: 'concat', inputs, attrs: {}, params: {} });
  }

  reshape(x: string, shape: number[], name?: string): string {
    return this.add({
      name: name ?? this.fresh('reshape'),
      op: 'reshape',
      inputs: [x],
      attrs: { shape },
      params: {},
    });
  }

  dropout(x: string, rate: number, name?: string): string {
    return this.add({
      name: name ?? this.fresh('dropout'),
      op: 'dropout',
      inputs: [x],
      attrs: { rate },
      params: {},
    });
  }

  pool(op: 'maxPool' | 'avgPool', x: string, kernel: number, o: PoolOptions = {}, name?: string): string {
    const dims = this.shape(x).length - 1;
    const k = new Array<number>(dims).fill(kernel);
    const s = new Array<number>(dims).fill(o.strides ?? kernel);
    return this.add({
      name: name ?? this.fresh(op),
      op,
      inputs: [x],
      attrs: { kernel: k, strides: s, padding: o.padding ?? 'valid' },
      params: {},
    });
  }

  build(outputs: string[]): Graph {
    return {
      name: this.name,
      inputs: [{ name: this.inputName, shape: this.inputShape }],
      outputs,
      nodes: [...this.nodes],
      params: { ...this.params },
    };
  }
}

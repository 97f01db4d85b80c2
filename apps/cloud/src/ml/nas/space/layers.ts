/**
 * Layer helpers for decoding genomes on `[H, W, C]` values, where W may be 1 (time series read as
 * `[T, 1, C]`): kernels, strides and pools shrink to 1 along an axis of extent 1, so the same code
 * builds 2-D and 1-D (k x 1) models. Weights are He-uniform, seeded.
 */
import { GraphBuilder } from '../../graph/builder.js';
import type { Tensor } from '../../graph/types.js';
import { Rng } from '../../tensor/rng.js';

export class SpaceBuilder {
  readonly b: GraphBuilder;
  private readonly rng: Rng;
  private n = 0;
  /** Prefix of the names of the nodes created next (decode sets `s<i>_` per stage). */
  scope = '';

  constructor(name: string, inputShape: readonly number[], seed: number) {
    this.b = new GraphBuilder(name, inputShape, seed);
    this.rng = new Rng(seed ^ 0x6e6173);
  }

  private fresh(prefix: string): string {
    this.n++;
    return `${this.scope}${prefix}${this.n}`;
  }

  private heUniform(key: string, shape: number[], fanIn: number): string {
    const limit = Math.sqrt(6 / fanIn);
    let size = 1;
    for (const d of shape) size *= d;
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = this.rng.uniform(-limit, limit);
    const t: Tensor = { shape, data };
    this.b.params[key] = t;
    return key;
  }

  /** Kernel and stride per spatial axis, 1 along axes of extent 1. */
  private geometry(x: string, k: number, s: number): { kernel: number[]; strides: number[] } {
    const sh = this.b.shape(x);
    const kernel = [sh[0]! > 1 ? k : 1, sh[1]! > 1 ? k : 1];
    const strides = [sh[0]! > 1 ? s : 1, sh[1]! > 1 ? s : 1];
    return { kernel, strides };
  }

  channels(x: string): number {
    return this.b.shape(x)[2]!;
  }

  conv(x: string, filters: number, k: number, stride = 1, prefix = 'conv'): string {
    const name = this.fresh(prefix);
    const cin = this.channels(x);
    const { kernel, strides } = this.geometry(x, k, stride);
    const w = this.heUniform(
      `${name}.weight`,
      [kernel[0]!, kernel[1]!, cin, filters],
      kernel[0]! * kernel[1]! * cin,
    );
    return this.b.add({
      name,
      op: 'conv2d',
      inputs: [x],
      attrs: { filters, kernel, strides, dilation: [1, 1], padding: 'same' },
      params: { weight: w },
    });
  }

  depthwise(x: string, k: number, stride = 1): string {
    const name = this.fresh('dw');
    const c = this.channels(x);
    const { kernel, strides } = this.geometry(x, k, stride);
    const w = this.heUniform(`${name}.weight`, [kernel[0]!, kernel[1]!, c], kernel[0]! * kernel[1]!);
    return this.b.add({
      name,
      op: 'depthwiseConv2d',
      inputs: [x],
      attrs: { kernel, strides, dilation: [1, 1], padding: 'same' },
      params: { weight: w },
    });
  }

  /** 2 x 2 max-pool (2 x 1 on series); identity where nothing is left to halve. */
  maxPool(x: string): string {
    const { kernel } = this.geometry(x, 2, 2);
    if (kernel[0] === 1 && kernel[1] === 1) return x;
    return this.b.add({
      name: this.fresh('pool'),
      op: 'maxPool',
      inputs: [x],
      attrs: { kernel, strides: kernel, padding: 'valid' },
      params: {},
    });
  }

  bn(x: string): string {
    return this.b.batchNorm(x, this.fresh('bn'));
  }

  act(x: string, relu6: boolean): string {
    return relu6 ? this.b.relu6(x, this.fresh('relu6_')) : this.b.relu(x, this.fresh('relu'));
  }

  /** conv + BN + activation. */
  convBnAct(x: string, filters: number, k: number, stride: number, relu6 = false): string {
    return this.act(this.bn(this.conv(x, filters, k, stride)), relu6);
  }

  add(a: string, b: string): string {
    return this.b.addN([a, b], this.fresh('add'));
  }
}

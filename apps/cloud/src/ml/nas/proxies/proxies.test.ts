import { describe, expect, it } from 'vitest';
import { Plan } from '../../engine/plan.js';
import { GraphBuilder } from '../../graph/builder.js';
import type { Graph } from '../../graph/types.js';
import { fisherOf } from './gradients.js';
import { JACOB_K, jacobCovFromJacobians } from './jacob.js';
import { logAbsDet, symmetricEigenvalues } from './linalg.js';
import { naswotFromCodes, naswotKernel, packCodes } from './naswot.js';
import { scoreGraph } from './score.js';
import { synflow } from './synflow.js';
import type { ProxyBatch } from './types.js';
import { zen } from './zen.js';

/** dense 3 -> 4, ReLU, dense 4 -> 2 with fixed weights (biases 0). */
function mlp(scale1 = 1): Graph {
  const b = new GraphBuilder('mlp', [3], 1);
  const h = b.relu(b.dense(b.input, 4, 'd1'), 'r1');
  const g = b.build([b.dense(h, 2, 'd2')]);
  const w1 = g.params['d1.weight']!.data;
  const w2 = g.params['d2.weight']!.data;
  for (let i = 0; i < w1.length; i++) w1[i] = scale1 * (((i * 7) % 5) - 2) * 0.3;
  for (let i = 0; i < w2.length; i++) w2[i] = (((i * 3) % 4) - 1.5) * 0.5;
  return g;
}

function batchOf(x: number[], labels: number[]): ProxyBatch {
  return {
    inputShape: [3],
    numClasses: 2,
    n: labels.length,
    x: Float32Array.from(x),
    labels: Int32Array.from(labels),
  };
}

describe('linear algebra', () => {
  it('log |det| and symmetric eigenvalues on known matrices', () => {
    expect(logAbsDet(Float64Array.from([2, 1, 1, 3]), 2)).toBeCloseTo(Math.log(5), 12);
    expect(logAbsDet(Float64Array.from([0, 2, 3, 0]), 2)).toBeCloseTo(Math.log(6), 12);
    expect(logAbsDet(Float64Array.from([1, 2, 2, 4]), 2)).toBe(Number.NEGATIVE_INFINITY);
    const ev = symmetricEigenvalues(Float64Array.from([2, 1, 0, 1, 2, 0, 0, 0, 5]), 3);
    expect(ev[0]).toBeCloseTo(1, 10);
    expect(ev[1]).toBeCloseTo(3, 10);
    expect(ev[2]).toBeCloseTo(5, 10);
  });
});

describe('NASWOT', () => {
  it('K counts agreeing units over all ReLUs; score = log |det K|', () => {
    // 2 layers (3 units, 2 units), 3 samples
    const l1 = Float32Array.from([1, -1, 2, /**/ 1, 1, -2, /**/ -1, -1, -1]);
    const l2 = Float32Array.from([0, 3, /**/ 1, 1, /**/ 0, 0]);
    const codes = packCodes(
      [
        { data: l1, size: 3 },
        { data: l2, size: 2 },
      ],
      3,
    );
    // codes: s0 = 101|01, s1 = 110|11, s2 = 000|00
    const k = naswotKernel(codes);
    expect(Array.from(k)).toEqual([5, 2, 2, 2, 5, 1, 2, 1, 5]);
    const det = 5 * (25 - 1) - 2 * (10 - 2) + 2 * (2 - 10);
    expect(naswotFromCodes(codes)).toBeCloseTo(Math.log(det), 10);
  });

  it('packs layers wider than a word correctly', () => {
    const n = 2;
    const size = 70;
    const data = new Float32Array(n * size);
    for (let j = 0; j < size; j++) data[j] = j % 3 === 0 ? 1 : -1;
    for (let j = 0; j < size; j++) data[size + j] = j % 2 === 0 ? 1 : -1;
    let agree = 0;
    for (let j = 0; j < size; j++) if ((j % 3 === 0) === (j % 2 === 0)) agree++;
    expect(Array.from(naswotKernel(packCodes([{ data, size }], n)))).toEqual([70, agree, agree, 70]);
  });

  it('reads the ReLU codes of a real forward pass', () => {
    const s = scoreGraph(mlp(), batchOf([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1], [0, 1, 0, 1]), ['naswot']);
    expect(Number.isFinite(s.naswot) || s.naswot === Number.NEGATIVE_INFINITY).toBe(true);
  });
});

describe('SynFlow', () => {
  it('equals (number of layers) x R for a bias-free chain, R = 1^T |W1| |W2| 1', () => {
    const g = mlp();
    const w1 = g.params['d1.weight']!.data; // [3, 4]
    const w2 = g.params['d2.weight']!.data; // [4, 2]
    let r = 0;
    for (let i = 0; i < 3; i++)
      for (let h = 0; h < 4; h++)
        for (let o = 0; o < 2; o++) r += Math.abs(w1[i * 4 + h]!) * Math.abs(w2[h * 2 + o]!);
    expect(synflow(g)).toBeCloseTo(2 * r, 4);
  });

  it('scales linearly when one layer is rescaled and ignores BN', () => {
    expect(synflow(mlp(3)) / synflow(mlp(1))).toBeCloseTo(3, 4);
    const b = new GraphBuilder('bn', [3], 1);
    const x = b.dense(b.input, 4, 'd1');
    const withBn = b.build([b.dense(b.relu(b.batchNorm(x, 'bn'), 'r'), 2, 'd2')]);
    const b2 = new GraphBuilder('bn', [3], 1);
    const plain = b2.build([b2.dense(b2.relu(b2.dense(b2.input, 4, 'd1'), 'r'), 2, 'd2')]);
    expect(synflow(withBn)).toBeCloseTo(synflow(plain), 5);
  });
});

describe('gradient proxies', () => {
  it('grad_norm, SNIP and Fisher equal the values computed directly for a linear model', () => {
    const b = new GraphBuilder('lin', [3], 1);
    const g = b.build([b.dense(b.input, 2, 'd')]);
    const w = g.params['d.weight']!.data; // [3, 2]
    const x = [1, 2, -1, 0.5, -1, 2, -2, 0, 1];
    const y = [0, 1, 1];
    const n = 3;
    const dW = new Float64Array(6);
    const logits: number[][] = [];
    const dz: number[][] = [];
    for (let s = 0; s < n; s++) {
      const z = [0, 1].map((o) => [0, 1, 2].reduce((a, i) => a + x[s * 3 + i]! * w[i * 2 + o]!, 0));
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const sum = e[0]! + e[1]!;
      const d = e.map((v, o) => (v / sum - (o === y[s] ? 1 : 0)) / n);
      logits.push(z);
      dz.push(d);
      for (let i = 0; i < 3; i++) for (let o = 0; o < 2; o++) dW[i * 2 + o]! += x[s * 3 + i]! * d[o]!;
    }
    const gradNorm = Math.sqrt(dW.reduce((a, v) => a + v * v, 0));
    const snip = Array.from(dW).reduce((a, v, i) => a + Math.abs(v * w[i]!), 0);
    let fisher = 0;
    for (let o = 0; o < 2; o++) for (let s = 0; s < n; s++) fisher += (logits[s]![o]! * dz[s]![o]!) ** 2;
    fisher = (0.5 * fisher) / n;
    const s = scoreGraph(g, batchOf(x, y), ['grad_norm', 'snip', 'fisher']);
    expect(s.grad_norm).toBeCloseTo(gradNorm, 5);
    expect(s.snip).toBeCloseTo(snip, 5);
    expect(s.fisher).toBeCloseTo(fisher, 5);
  });

  it('params is the trainable parameter count; Fisher is computed only when asked for', () => {
    const g = mlp();
    const s = scoreGraph(g, batchOf([1, 2, 3, 0, 1, 0], [0, 1]), ['params', 'grad_norm']);
    expect(s.params).toBe(3 * 4 + 4 + 4 * 2 + 2);
    expect(s.grad_norm).toBeGreaterThan(0);
    expect(s.fisher).toBeUndefined();
  });

  it('Fisher sums act x grad over positions per channel before squaring', () => {
    // n = 2, two positions x two channels
    const act = Float32Array.from([1, 2, 3, 4, /**/ 1, 0, 0, 1]);
    const grad = Float32Array.from([1, 1, 1, -1, /**/ 2, 5, 5, 2]);
    // sample 0: ch0 1 + 3 = 4, ch1 2 - 4 = -2; sample 1: ch0 2 + 0 = 2, ch1 0 + 2 = 2
    expect(fisherOf(act, grad, 2, 4, 2)).toBeCloseTo((0.5 * (16 + 4 + 4 + 4)) / 2, 10);
  });
});

describe('jacob_cov', () => {
  it('matches the closed form for known Jacobians', () => {
    // rows 1 and 2 perfectly correlated, row 3 anti-correlated: corr has rank 1, eigenvalues {0, 0, 3}
    const j = [1, 2, 3, 2, 4, 6, -1, -2, -3];
    const f = (l: number): number => Math.log(l + JACOB_K) + 1 / (l + JACOB_K);
    expect(jacobCovFromJacobians(j, 3, 3)).toBeCloseTo(-(2 * f(0) + f(3)), 3);
    expect(jacobCovFromJacobians([1, 1, 1, 1, 2, 3], 2, 3)).toBeNaN();
  });

  it('reads input Jacobians through the probe: a linear model gives identical rows (W 1)', () => {
    const b = new GraphBuilder('lin', [3], 2);
    const g = b.build([b.dense(b.input, 2, 'd')]);
    const s = scoreGraph(g, batchOf([1, 2, 3, 0, 1, 0, 5, -1, 2], [0, 1, 0]), ['jacob_cov']);
    const f = (l: number): number => Math.log(l + JACOB_K) + 1 / (l + JACOB_K);
    expect(s.jacob_cov).toBeCloseTo(-(2 * f(0) + f(3)), 2);
  });
});

describe('Zen-score', () => {
  it('is finite and deterministic on a BN network, and grows with width', () => {
    const net = (w: number): Graph => {
      const b = new GraphBuilder('z', [6, 6, 2], 3);
      let x = b.relu(b.batchNorm(b.conv2d(b.input, w, 3, { bias: false }), 'bn1'));
      x = b.relu(b.batchNorm(b.conv2d(x, w, 3, { bias: false }), 'bn2'));
      return b.build([b.dense(b.globalAvgPool(x, 'gap'), 3, 'fc')]);
    };
    const score = (g: Graph): number => {
      const plan = new Plan(g, { batch: 8, training: true });
      return zen(plan, 8, 5);
    };
    const a = score(net(4));
    expect(Number.isFinite(a)).toBe(true);
    expect(score(net(4))).toBe(a);
    expect(score(net(32))).toBeGreaterThan(a);
  });
});

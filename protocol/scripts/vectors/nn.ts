/**
 * Golden kernel vectors `protocol/vectors/nn/` (PROTOCOL.md §6, §7): inputs, parameters, derived
 * requantization and expected outputs of every quantized forward op, several shapes and the
 * requantization edge cases, each as `<name>.tfkv` (nn-container.ts, read by the C tests) and
 * `<name>.json` (the same fields, readable). Expected values come from the integer reference of the
 * cloud (`@tinyfleet/cloud/quant`): a dev-time dependency of this generator script only; nothing in
 * `protocol/src` depends on the cloud.
 *
 * Extension point: `NN_CASE_BUILDERS` is the list of case builders. The FQT backward / update vectors
 * (error propagation, weight gradient, gradient standardization, weight requantization, from
 * apps/cloud/src/ml/fqt) are added as one more builder there.
 */
import { deriveRequant, elementwise, kernels, type Requant } from '@tinyfleet/cloud/quant';
import type { VectorFile } from './common.js';
import {
  type CaseBuilder,
  caseFiles,
  f32,
  type NnCase,
  Rng,
  requantFields,
  scalar,
  scales,
  tensor,
} from './nn-case.js';
import { fqtCases } from './nn-fqt.js';
import { poolCases } from './nn-pool.js';
import { weightedCases } from './nn-weighted.js';

interface Q {
  readonly scale: number;
  readonly zeroPoint: number;
}

function qFields(prefix: string, q: Q) {
  return [scales(`${prefix}_scale`, [q.scale]), scalar(`${prefix}_zp`, q.zeroPoint)];
}

function activationCases(): NnCase[] {
  const r = new Rng(61);
  const out: NnCase[] = [];
  for (const [kind, q] of [
    ['RELU', { scale: f32(0.05), zeroPoint: 128 }],
    ['RELU', { scale: f32(0.1), zeroPoint: 0 }],
    ['RELU6', { scale: f32(0.05), zeroPoint: 100 }],
    ['RELU6', { scale: f32(0.01), zeroPoint: 30 }],
  ] as const) {
    const x = r.u8(48);
    const y = new Uint8Array(48);
    elementwise.relu(kind === 'RELU' ? 'relu' : 'relu6', q, x, y);
    const hi = kind === 'RELU' ? 255 : elementwise.relu6Max(q);
    out.push({
      name: `${kind.toLowerCase()}-zp${q.zeroPoint}`,
      op: kind,
      doc: 'clamp to [zero point, 255] (RELU) or [zero point, q(6)] saturated (RELU6), PROTOCOL.md §6.3.5',
      fields: [
        ...qFields('x', q),
        scalar('act_max', hi),
        tensor('x', [1, 4, 4, 3], x),
        tensor('y', [1, 4, 4, 3], y),
      ],
    });
  }
  return out;
}

function addCases(): NnCase[] {
  const cases: [string, Q, Q, Q, number][] = [
    [
      'add-scales',
      { scale: f32(0.05), zeroPoint: 120 },
      { scale: f32(0.02), zeroPoint: 90 },
      { scale: f32(0.06), zeroPoint: 110 },
      71,
    ],
    [
      'add-same-q',
      { scale: f32(0.04), zeroPoint: 128 },
      { scale: f32(0.04), zeroPoint: 128 },
      { scale: f32(0.04), zeroPoint: 128 },
      72,
    ],
    [
      'add-saturate',
      { scale: f32(0.1), zeroPoint: 0 },
      { scale: f32(0.1), zeroPoint: 255 },
      { scale: f32(0.01), zeroPoint: 128 },
      73,
    ],
  ];
  return cases.map(([name, qa, qb, qy, seed]) => {
    const r = new Rng(seed);
    const a = r.u8(40);
    const b = r.u8(40);
    const y = new Uint8Array(40);
    const p = elementwise.addParams(qa, qb, qy);
    elementwise.add(p, qa, qb, qy, a, b, y);
    return {
      name,
      op: 'ADD',
      doc: `inputs << ${elementwise.ADD_LEFT_SHIFT}, scaled by s / 2max(s_a, s_b), summed, requantized (PROTOCOL.md §6.3.8)`,
      fields: [
        ...qFields('a', qa),
        ...qFields('b', qb),
        ...qFields('y', qy),
        ...requantFields('a_', [p.a]),
        ...requantFields('b_', [p.b]),
        ...requantFields('y_', [p.out]),
        tensor('a', [1, 2, 4, 5], a),
        tensor('b', [1, 2, 4, 5], b),
        tensor('y', [1, 2, 4, 5], y),
      ],
    };
  });
}

function concatCases(): NnCase[] {
  const build = (name: string, seed: number, parts: readonly { q: Q; c: number }[], qy: Q): NnCase => {
    const r = new Rng(seed);
    const positions = 6;
    const xs = parts.map((p) => ({ x: r.u8(positions * p.c), q: p.q, channels: p.c }));
    const outC = parts.reduce((s, p) => s + p.c, 0);
    const y = new Uint8Array(positions * outC);
    elementwise.concat(xs, qy, positions, y);
    return {
      name,
      op: 'CONCAT',
      doc: 'on the last axis; inputs with other qparams than the output are requantized (PROTOCOL.md §6.3.9)',
      fields: [
        scalar('axis', 3),
        ...xs.flatMap((p, i) => [tensor(`x${i}`, [1, 2, 3, p.channels], p.x), ...qFields(`x${i}`, p.q)]),
        ...qFields('y', qy),
        tensor('y', [1, 2, 3, outC], y),
      ],
    };
  };
  const q = { scale: f32(0.05), zeroPoint: 128 };
  return [
    build(
      'concat-same-q',
      81,
      [
        { q, c: 2 },
        { q, c: 3 },
      ],
      q,
    ),
    build(
      'concat-requant',
      82,
      [
        { q, c: 2 },
        { q: { scale: f32(0.2), zeroPoint: 10 }, c: 1 },
        { q: { scale: f32(0.01), zeroPoint: 200 }, c: 4 },
      ],
      q,
    ),
  ];
}

function reshapeSoftmaxCases(): NnCase[] {
  const r = new Rng(91);
  const x = r.u8(24);
  const cases: NnCase[] = [
    {
      name: 'reshape-flatten',
      op: 'RESHAPE',
      doc: 'no data movement: y is x',
      fields: [tensor('x', [1, 2, 3, 4], x), tensor('y', [1, 24], x)],
    },
  ];
  for (const [name, q, rows, row, seed] of [
    ['softmax-10', { scale: f32(0.1), zeroPoint: 128 }, 1, 10, 92],
    ['softmax-rows', { scale: f32(0.05), zeroPoint: 0 }, 3, 7, 93],
    ['softmax-tiny-scale', { scale: f32(0.001), zeroPoint: 128 }, 2, 5, 94],
    ['softmax-huge-scale', { scale: f32(2), zeroPoint: 128 }, 2, 6, 95],
  ] as const) {
    const xs = new Rng(seed).u8(rows * row);
    const y = new Uint8Array(rows * row);
    elementwise.softmax(q, row, xs, y);
    const rq = deriveRequant(q.scale, elementwise.LOG2E_F32, 1, 16);
    cases.push({
      name,
      op: 'SOFTMAX',
      doc: 'integer softmax over the last axis to scale 1/256, zero point 0 (PROTOCOL.md §6.3.11)',
      fields: [
        ...qFields('x', q),
        ...requantFields('', [rq]),
        tensor('x', [1, rows, row], xs),
        tensor('y', [1, rows, row], y),
      ],
    });
  }
  const equal = new Uint8Array(8).fill(77);
  const y = new Uint8Array(8);
  const q = { scale: f32(0.1), zeroPoint: 0 };
  elementwise.softmax(q, 8, equal, y);
  cases.push({
    name: 'softmax-equal',
    op: 'SOFTMAX',
    doc: 'a row of equal values: 256/8 = 32 each',
    fields: [
      ...qFields('x', q),
      ...requantFields('', [deriveRequant(q.scale, elementwise.LOG2E_F32, 1, 16)]),
      tensor('x', [1, 8], equal),
      tensor('y', [1, 8], y),
    ],
  });
  return cases;
}

/**
 * Requantization edge cases (PROTOCOL.md §6.2): `y = clamp(y_zp + requant(acc, M, shift), act_min,
 * act_max)` with M, shift derived from the float32 scales s_a * s_b / s_c.
 */
function requantCases(): NnCase[] {
  const I32_MIN = -2147483648;
  const I32_MAX = 2147483647;
  const build = (
    name: string,
    doc: string,
    sa: number,
    sb: number,
    sc: number,
    acc: readonly number[],
    yZero = 128,
    clamp = { actMin: 0, actMax: 255 },
  ): NnCase => {
    const r: Requant = deriveRequant(f32(sa), f32(sb), f32(sc));
    const accs = Int32Array.from(acc);
    const y = Uint8Array.from(accs, (a) => kernels.outputValue(a, r, yZero, clamp));
    return {
      name: `requant-${name}`,
      op: null,
      doc,
      fields: [
        scales('s_a', [f32(sa)]),
        scales('s_b', [f32(sb)]),
        scales('s_c', [f32(sc)]),
        ...requantFields('', [r]),
        scalar('y_zp', yZero),
        scalar('act_min', clamp.actMin),
        scalar('act_max', clamp.actMax),
        tensor('acc', [accs.length], accs),
        tensor('y', [accs.length], y),
      ],
    };
  };
  const wide = [
    I32_MIN,
    I32_MIN + 1,
    -1e9,
    -65536,
    -1000,
    -129,
    -128,
    -1,
    0,
    1,
    127,
    128,
    1000,
    65536,
    1e9,
    I32_MAX - 1,
    I32_MAX,
  ];
  return [
    build('saturate', 'saturation at both ends, int32 extremes', 0.02, 0.01, 0.05, wide),
    build(
      'negative',
      'negative accumulators round half away from zero',
      0.02,
      0.013,
      0.07,
      [-1, -2, -3, -77, -1234, -99999, -5e6],
    ),
    build(
      'ties-half',
      'ratio 0.5: every odd accumulator is a tie',
      0.5,
      1,
      1,
      [-7, -5, -3, -1, 1, 3, 5, 7, 255, -255],
    ),
    build(
      'ties-quarter',
      'ratio 0.25: accumulators = 2 mod 4 are ties',
      0.25,
      1,
      1,
      [-10, -6, -2, 2, 6, 10, 250, -250],
    ),
    build('tiny-ratio', 'ratio 2^-40: multiplier 0, output is the zero point', 2 ** -20, 2 ** -20, 1, [
      I32_MIN,
      -1,
      0,
      1,
      I32_MAX,
    ]),
    build('small-ratio', 'ratio ~2^-31, the smallest nonzero shift', 2 ** -16, 2 ** -15, 1.5, [
      I32_MIN,
      -1e9,
      -3,
      0,
      3,
      1e9,
      I32_MAX,
    ]),
    build(
      'huge-ratio',
      'ratio 2^20: left shift with int32 saturation',
      1024,
      1024,
      1,
      [-3, -1, 0, 1, 2, 3, 1e6, -1e6],
    ),
    build('ratio-above-one', 'ratio ~3.7 with a clamp', 3.7, 1, 1, [-40, -20, -1, 0, 1, 20, 40], 100, {
      actMin: 100,
      actMax: 200,
    }),
    build('odd-scales', 'non-power-of-two float32 mantissas', 0.0123457, 0.00789, 0.0456, [
      ...new Rng(101).i32(16, -200000, 200000),
    ]),
  ];
}

/** The case builders; FQT backward / update builders are appended here. */
export const NN_CASE_BUILDERS: readonly CaseBuilder[] = [
  weightedCases,
  poolCases,
  activationCases,
  addCases,
  concatCases,
  reshapeSoftmaxCases,
  requantCases,
  fqtCases,
];

export function nnCases(): NnCase[] {
  return NN_CASE_BUILDERS.flatMap((b) => [...b()]);
}

export function generateNnVectors(): VectorFile[] {
  return nnCases().flatMap(caseFiles);
}

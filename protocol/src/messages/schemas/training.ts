/**
 * Training sessions: TRAIN_START, TRAIN_STOP, TRAIN_CONFIG, TRAIN_STATUS, TRAIN_METRICS, GRAD_UPDATE
 * (PROTOCOL.md §4.4). Partial-update semantics (k, eps) are in §4.4.1.
 */
import { P } from '../../constants/index.js';
import { EPS_MODES, GRAD_KINDS, ROUNDING_MODES, TRAIN_STATES, UPDATE_RULES } from '../../constants/table.js';
import {
  defineMessage,
  errorCode,
  freeText,
  type MessageOf,
  sessionId,
  sha256,
  UINT53_MAX,
  zeroPoint,
} from '../define.js';
import {
  badField,
  bytes,
  enumeration,
  f32,
  list,
  opt,
  outOfRange,
  req,
  U32_MAX,
  u16s,
  uint,
} from '../fields.js';

const fraction = () => f32({ min: 0, max: 1 });

/** Session parameters TRAIN_START sets and TRAIN_CONFIG changes; absent = see each (§4.4.2). */
const TUNABLE = {
  lambdaMin: opt('lmin', fraction(), 'λ_min of §4.4.1; default: the artifact TRAIN record (§5.7).'),
  lambdaMax: opt('lmax', fraction(), 'λ_max of §4.4.1, >= λ_min; default: the artifact TRAIN record.'),
  learningRate: opt(
    'lr',
    f32({ min: 0, aboveMin: true }),
    'Learning rate; default: the artifact TRAIN record.',
  ),
  batchSize: opt('bs', uint(1, 256), 'Samples per step; default: the artifact TRAIN record.', 'samples'),
  epsMode: opt(
    'eps',
    enumeration(EPS_MODES, 'EPS_MODES'),
    'How eps is computed (§4.4.1); default: the artifact.',
  ),
  emaActivations: opt('ea', fraction(), 'EMA rate of activation ranges, 0 = fixed; default: the artifact.'),
  emaErrors: opt('ee', fraction(), 'EMA rate of error ranges, 0 = fixed [-1, 1]; default: the artifact.'),
  emaWeights: opt('ew', fraction(), 'EMA rate of weight ranges, 1 = exact min/max; default: the artifact.'),
  maxSteps: opt(
    'steps',
    uint(0, U32_MAX),
    'End (DONE) after this many steps; default 0 = no limit.',
    'steps',
  ),
  maxSamples: opt(
    'smax',
    uint(0, U32_MAX),
    'End (DONE) after this many samples; default 0 = no limit.',
    'samples',
  ),
  metricsEvery: opt('me', uint(1, 0xffff), 'Send TRAIN_METRICS after every N-th step; default 1.', 'steps'),
  gradEvery: opt(
    'ge',
    uint(0, 0xffff),
    'Send GRAD_UPDATE after every N-th step; default 0 = never.',
    'steps',
  ),
  gradKind: opt('gk', enumeration(GRAD_KINDS, 'GRAD_KINDS'), 'What GRAD_UPDATE carries; default DELTA.'),
  updateRule: opt(
    'upd',
    enumeration(UPDATE_RULES, 'UPDATE_RULES'),
    'Step direction of the update (§6.6.10); default: the artifact TRAIN record.',
  ),
  rounding: opt(
    'rnd',
    enumeration(ROUNDING_MODES, 'ROUNDING_MODES'),
    'Rounding of the weight requantization (§6.6.10); default: the artifact TRAIN record.',
  ),
  biasLearningRate: opt(
    'lrb',
    f32({ min: 0, aboveMin: true }),
    "Bias learning rate lr_b (§6.6.6 step 4); default: the session's lr.",
  ),
} as const;

/** Defaults of the optional session parameters that do not come from the artifact (§4.4.2). */
export const TRAIN_DEFAULTS = {
  maxSteps: 0,
  maxSamples: 0,
  metricsEvery: 1,
  gradEvery: 0,
  gradKind: 'DELTA',
} as const;

function checkLambdas(m: { lambdaMin?: number; lambdaMax?: number }, at: string): void {
  if (m.lambdaMin !== undefined && m.lambdaMax !== undefined && m.lambdaMin > m.lambdaMax) {
    throw outOfRange(`${at}.lmin`, `λ_min ${m.lambdaMin} > λ_max ${m.lambdaMax}`);
  }
}

// PROTOCOL.md §4.4.2
export const TRAIN_START = defineMessage({
  type: 'TRAIN_START',
  section: '4.4.2',
  direction: 'gateway → device',
  reply: 'TRAIN_STATUS (RUNNING), or ERROR',
  re: 'optional',
  hop: 'device',
  fields: {
    sessionId: req('sid', sessionId(), 'New session id, chosen by the gateway.'),
    trainableOps: opt(
      'layers',
      list(uint(0, 0xffff), 1, P.MESSAGE_MAX_TRAIN_LAYERS),
      'Op indices (§5.4) to train, strictly ascending, a subset of the artifact trainable ops; default: all.',
    ),
    ...TUNABLE,
    seed: opt(
      'seed',
      uint(0, U32_MAX),
      'Seed of the STOCHASTIC rounding generator (§6.6.10), 0 = 0x9E3779B9; default 0.',
    ),
    modelSha256: opt(
      'msha',
      sha256(),
      'The session is for this model; the device refuses if another is active.',
    ),
  },
  check(m, at) {
    checkLambdas(m, at);
    m.trainableOps?.forEach((k, i) => {
      if (i > 0 && k <= m.trainableOps![i - 1]!) throw outOfRange(`${at}.layers`, 'not strictly ascending');
    });
  },
});
export type TrainStart = MessageOf<typeof TRAIN_START>;

// PROTOCOL.md §4.4.3
export const TRAIN_STOP = defineMessage({
  type: 'TRAIN_STOP',
  section: '4.4.3',
  direction: 'gateway → device',
  reply: 'TRAIN_STATUS (the final state), or ERROR',
  re: 'optional',
  hop: 'device',
  fields: {
    sessionId: req('sid', sessionId(), 'Session to stop.'),
  },
});
export type TrainStop = MessageOf<typeof TRAIN_STOP>;

// PROTOCOL.md §4.4.4
export const TRAIN_CONFIG = defineMessage({
  type: 'TRAIN_CONFIG',
  section: '4.4.4',
  direction: 'gateway → device',
  reply: 'TRAIN_STATUS (RUNNING), or ERROR',
  re: 'optional',
  hop: 'device',
  fields: {
    sessionId: req('sid', sessionId(), 'Running session to change.'),
    ...TUNABLE,
  },
  check: (m, at) => checkLambdas(m, at),
});
export type TrainConfig = MessageOf<typeof TRAIN_CONFIG>;

// PROTOCOL.md §4.4.5
export const TRAIN_STATUS = defineMessage({
  type: 'TRAIN_STATUS',
  section: '4.4.5',
  direction: 'device → gateway (relayed to the cloud)',
  reply: 'none',
  re: 'optional',
  hop: 'device',
  fields: {
    sessionId: req('sid', sessionId(), 'Session.'),
    state: req('st', enumeration(TRAIN_STATES, 'TRAIN_STATES'), 'Session state.'),
    step: req('step', uint(0, U32_MAX), 'Steps completed so far.', 'steps'),
    samplesSeen: req('n', uint(0, U32_MAX), 'Samples trained on so far.', 'samples'),
    error: opt('err', errorCode(), 'Why it FAILED; required iff st = FAILED.'),
    text: opt('msg', freeText(), 'Human-readable detail.'),
  },
  check(m, at) {
    if ((m.state === 'FAILED') !== (m.error !== undefined))
      throw badField(`${at}.err`, 'err is required iff FAILED');
  },
});
export type TrainStatus = MessageOf<typeof TRAIN_STATUS>;

// PROTOCOL.md §4.4.6
export const TRAIN_METRICS = defineMessage({
  type: 'TRAIN_METRICS',
  section: '4.4.6',
  direction: 'device → gateway (relayed to the cloud)',
  reply: 'none',
  re: 'optional',
  hop: 'device',
  fields: {
    sessionId: req('sid', sessionId(), 'Session.'),
    step: req('step', uint(1, U32_MAX), 'The step reported (1 = first step of the session).'),
    samplesSeen: req('n', uint(0, U32_MAX), 'Samples trained on up to and including this step.', 'samples'),
    loss: req('loss', f32({ min: 0 }), 'Mean loss (cross-entropy) over the samples since the last report.'),
    accuracy: req(
      'acc',
      fraction(),
      'Fraction of the samples since the last report classified correctly (forward pass).',
    ),
    updateRate: req('ur', fraction(), 'Structures updated / trainable structures, over all trained layers.'),
    cycles: req('cyc', uint(0, UINT53_MAX), 'CPU cycles of the step (forward, backward, update).', 'cycles'),
    memoryBytes: req(
      'mem',
      uint(0, U32_MAX),
      'RAM used by training: arena plus RAM copies of weights.',
      'bytes',
    ),
    durationUs: req('us', uint(0, U32_MAX), 'Wall time of the step.', 'µs'),
  },
});
export type TrainMetrics = MessageOf<typeof TRAIN_METRICS>;

// PROTOCOL.md §4.4.7
export const GRAD_UPDATE = defineMessage({
  type: 'GRAD_UPDATE',
  section: '4.4.7',
  direction: 'device → gateway (relayed to the cloud)',
  reply: 'none',
  re: 'optional',
  hop: 'device',
  fields: {
    sessionId: req('sid', sessionId(), 'Session.'),
    step: req('step', uint(1, U32_MAX), 'The step whose update this is.'),
    layer: req('layer', uint(0, 0xffff), 'Op index (§5.4) of the layer.'),
    kind: req('kind', enumeration(GRAD_KINDS, 'GRAD_KINDS'), 'GRADIENT or DELTA (§4.4.7).'),
    samplesSeen: req('n', uint(0, U32_MAX), 'Samples trained on up to and including this step.', 'samples'),
    structures: req('nst', uint(1, 0xffff), 'N: structures (filters / rows) of the layer.'),
    elements: req(
      'es',
      uint(1, P.MESSAGE_MAX_TENSOR_BYTES),
      'Weights per structure (conv: kh*kw*cin; dense: inputs).',
    ),
    indices: req(
      'idx',
      u16s(1, P.MESSAGE_MAX_GRAD_STRUCTURES),
      'The k updated structures, strictly ascending, each < nst.',
    ),
    values: req('q', bytes(1, P.MESSAGE_MAX_TENSOR_BYTES), 'k * es quantized values, uint8, row r = idx[r].'),
    scale: req('qs', f32({ min: 0, aboveMin: true }), 'Scale of q: real = qs * (q - qz).'),
    zeroPoint: req('qz', zeroPoint(), 'Zero point of q.'),
    eps: opt('eps', fraction(), '|eps| that chose k for this layer (§4.4.1).'),
  },
  check(m, at) {
    const k = m.indices.length;
    if (k > m.structures) throw outOfRange(`${at}.idx`, `${k} indices for ${m.structures} structures`);
    for (let i = 0; i < k; i++) {
      const v = m.indices[i]!;
      if (v >= m.structures) throw outOfRange(`${at}.idx[${i}]`, `${v} >= nst ${m.structures}`);
      if (i > 0 && v <= m.indices[i - 1]!) throw outOfRange(`${at}.idx`, 'not strictly ascending');
    }
    if (m.values.length !== k * m.elements) {
      throw outOfRange(`${at}.q`, `${m.values.length} values, want k * es = ${k * m.elements}`);
    }
  },
});
export type GradUpdate = MessageOf<typeof GRAD_UPDATE>;

export const TRAINING_MESSAGES = [
  TRAIN_START,
  TRAIN_STOP,
  TRAIN_CONFIG,
  TRAIN_STATUS,
  TRAIN_METRICS,
  GRAD_UPDATE,
] as const;

/**
 * k of a layer with N structures (PROTOCOL.md §4.4.1):
 * k = max(1, floor(min(λ_min + |eps| * (λ_max - λ_min), 1) * N)), computed in float32 like the device.
 */
export function updatedStructures(n: number, lambdaMin: number, lambdaMax: number, eps: number): number {
  const f = Math.fround;
  const rate = Math.min(f(f(lambdaMin) + f(f(Math.abs(eps)) * f(f(lambdaMax) - f(lambdaMin)))), 1);
  return Math.max(1, Math.floor(f(rate * n)));
}

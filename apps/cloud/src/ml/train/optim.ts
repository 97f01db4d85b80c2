/**
 * Optimizers over the plan's flat parameter vector. Weight decay applies only where `decayMask` is 1
 * (conv / dense weights; not biases or BatchNorm): L2 added to the gradient for SGD, decoupled
 * (AdamW) for Adam. State is plain data so checkpoints can store and restore it.
 */

export type OptimizerKind = 'sgd' | 'adam';

export interface OptimizerConfig {
  readonly kind: OptimizerKind;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

export interface OptimizerState {
  readonly config: OptimizerConfig;
  /** Updates applied so far (Adam bias correction). */
  t: number;
  /** SGD: [velocity]; Adam: [m, v]. Each the length of the parameter vector. */
  readonly slots: Float32Array[];
}

export function defaultOptimizerConfig(
  kind: OptimizerKind,
  overrides: Partial<OptimizerConfig> = {},
): OptimizerConfig {
  return {
    kind,
    momentum: 0.9,
    nesterov: false,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    weightDecay: 0,
    ...overrides,
  };
}

export function createOptimizerState(config: OptimizerConfig, size: number): OptimizerState {
  const n = config.kind === 'adam' ? 2 : 1;
  return { config, t: 0, slots: Array.from({ length: n }, () => new Float32Array(size)) };
}

/** One update of `params` in place from `grads` at learning rate `lr`. */
export function optimizerStep(
  state: OptimizerState,
  params: Float32Array,
  grads: Float32Array,
  lr: number,
  decayMask: Uint8Array,
): void {
  const c = state.config;
  const wd = c.weightDecay;
  state.t++;
  const len = params.length;
  if (c.kind === 'sgd') {
    const v = state.slots[0]!;
    const mu = c.momentum;
    for (let i = 0; i < len; i++) {
      const g = grads[i]! + (decayMask[i] ? wd * params[i]! : 0);
      const vi = mu * v[i]! + g;
      v[i] = vi;
      params[i]! -= lr * (c.nesterov ? g + mu * vi : vi);
    }
    return;
  }
  const m = state.slots[0]!;
  const v = state.slots[1]!;
  const b1 = c.beta1;
  const b2 = c.beta2;
  const bc1 = 1 - b1 ** state.t;
  const bc2 = 1 - b2 ** state.t;
  const stepSize = lr / bc1;
  const sq = Math.sqrt(bc2);
  for (let i = 0; i < len; i++) {
    const g = grads[i]!;
    const mi = b1 * m[i]! + (1 - b1) * g;
    const vi = b2 * v[i]! + (1 - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    if (decayMask[i]) params[i]! -= lr * wd * params[i]!;
    params[i]! -= (stepSize * mi) / (Math.sqrt(vi) / sq + c.epsilon);
  }
}

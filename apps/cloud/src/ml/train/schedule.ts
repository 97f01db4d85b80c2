/** Learning-rate schedules, as a pure function of the global step. */

export type ScheduleKind = 'constant' | 'step' | 'cosine' | 'onecycle';

export interface ScheduleConfig {
  readonly kind: ScheduleKind;
  /** Peak / base learning rate. */
  readonly lr: number;
  /** step: multiply by `gamma` every `stepEpochs` epochs. */
  readonly gamma: number;
  readonly stepEpochs: number;
  /** cosine: linear warm-up over this many epochs (may be fractional), then cosine decay to `minLr`. */
  readonly warmupEpochs: number;
  readonly minLr: number;
  /** onecycle: fraction of training spent ramping up from lr/divFactor to lr. */
  readonly pctStart: number;
  readonly divFactor: number;
  readonly finalDivFactor: number;
}

export function defaultSchedule(
  kind: ScheduleKind,
  lr: number,
  overrides: Partial<ScheduleConfig> = {},
): ScheduleConfig {
  return {
    kind,
    lr,
    gamma: 0.1,
    stepEpochs: 10,
    warmupEpochs: 0,
    minLr: 0,
    pctStart: 0.25,
    divFactor: 25,
    finalDivFactor: 1e4,
    ...overrides,
  };
}

/** Learning rate at `step` (0-based) of `total` steps with `stepsPerEpoch` steps per epoch. */
export function learningRate(s: ScheduleConfig, step: number, total: number, stepsPerEpoch: number): number {
  const epoch = step / stepsPerEpoch;
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'step':
      return s.lr * s.gamma ** Math.floor(epoch / s.stepEpochs);
    case 'cosine': {
      const warm = s.warmupEpochs * stepsPerEpoch;
      if (step < warm) return (s.lr * (step + 1)) / warm;
      const t = Math.min(1, (step - warm) / Math.max(1, total - warm));
      return s.minLr + 0.5 * (s.lr - s.minLr) * (1 + Math.cos(Math.PI * t));
    }
    case 'onecycle': {
      const up = Math.max(1, Math.floor(total * s.pctStart));
      const start = s.lr / s.divFactor;
      const end = start / s.finalDivFactor;
      const cos = (a: number, b: number, t: number): number =>
        b + 0.5 * (a - b) * (1 + Math.cos(Math.PI * t));
      if (step < up) return cos(start, s.lr, step / up);
      return cos(s.lr, end, Math.min(1, (step - up) / Math.max(1, total - up)));
    }
  }
}

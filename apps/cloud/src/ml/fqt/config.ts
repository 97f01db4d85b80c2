/**
 * Configuration and results of the FQT reference (PROTOCOL.md §4.4, §5.7, §6.6.10): the session
 * parameters of TRAIN_START merged with the artifact's training record, and what a step reports.
 */
import type { ArtifactTraining } from '@tinyfleet/protocol/artifact';
import type {
  EpsModeName,
  GradKindName,
  GradUpdate,
  RoundingModeName,
  TrainStart,
  UpdateRuleName,
} from '@tinyfleet/protocol/messages';
import { FqtError } from './errors.js';
import type { UpdateRule } from './update.js';

export interface FqtConfig {
  /** Op indices (QGraph node = artifact op) to train, CONV2D / DEPTHWISE / CONV1D / DENSE. */
  readonly layers: readonly number[];
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  readonly learningRate: number;
  /** Learning rate of the (not standardized) bias update (PROTOCOL.md §6.6.6 step 4); default `learningRate`. */
  readonly biasLearningRate?: number;
  readonly batchSize: number;
  readonly epsMode: EpsModeName;
  /** EMA rate of error ranges (`ee`): 0 = fixed [-1, 1], 1 = this sample's range. */
  readonly emaErrors: number;
  /** EMA rate of weight ranges (`ew`): 1 = exact min/max. */
  readonly emaWeights: number;
  /**
   * EMA rate of the logits range (`ea`, PROTOCOL.md §6.6.7): 0 (default) keeps the artifact's
   * qparams, otherwise once per step from the logits producer's accumulators.
   */
  readonly emaActivations?: number;
  /**
   * Rounding of the weight requantization (PROTOCOL.md §6.6.6 step 3): `nearest` (half to even, the
   * default) or `stochastic` (§6.6.10, xorshift32 seeded by `roundingSeed`).
   */
  readonly rounding?: 'nearest' | 'stochastic';
  /**
   * Step direction (PROTOCOL.md §6.6.6, §6.6.10): `standardized` (default, the paper's (g - mean) / std),
   * `centered` (g - mean), `sgd` (g).
   */
  readonly update?: UpdateRule;
  readonly roundingSeed?: number;
  readonly gradKind?: GradKindName;
  readonly sessionId?: number;
}

export interface Sample {
  readonly x: Uint8Array;
  readonly y: number;
}

export interface StepResult {
  readonly step: number;
  readonly samplesSeen: number;
  readonly loss: number;
  readonly accuracy: number;
  /** Σk / ΣN over the trained layers (TRAIN_METRICS `ur`). */
  readonly updateRate: number;
  readonly macs: { readonly wgrad: number; readonly eprop: number };
  /** Per trained op: k and |eps|. */
  readonly layers: ReadonlyArray<{ readonly layer: number; readonly k: number; readonly eps: number }>;
  readonly gradUpdates: GradUpdate[];
}

/** PROTOCOL.md §4.4.2 ranges of the session parameters. */
export function checkConfig(c: FqtConfig): void {
  if (!(c.lambdaMin >= 0 && c.lambdaMin <= c.lambdaMax && c.lambdaMax <= 1))
    throw new FqtError('BAD_CONFIG', `need 0 <= lambda_min <= lambda_max <= 1 (PROTOCOL.md §4.4.1)`);
  if (!(c.learningRate > 0 && Number.isFinite(c.learningRate)))
    throw new FqtError('BAD_CONFIG', 'learning rate must be finite and > 0');
  if (!(Number.isInteger(c.batchSize) && c.batchSize >= 1 && c.batchSize <= 256))
    throw new FqtError('BAD_CONFIG', 'batch size must be 1..256');
  const ea = c.emaActivations ?? 0;
  if (!(ea >= 0 && ea <= 1)) throw new FqtError('BAD_CONFIG', 'ea must be in [0, 1]');
}

const RULES: Readonly<Record<UpdateRuleName, UpdateRule>> = {
  STANDARDIZED: 'standardized',
  CENTERED: 'centered',
  SGD: 'sgd',
};
const ROUNDINGS: Readonly<Record<RoundingModeName, 'nearest' | 'stochastic'>> = {
  NEAREST: 'nearest',
  STOCHASTIC: 'stochastic',
};

/** The session parameters of a TRAIN_START (PROTOCOL.md §4.4.2) the reference uses. */
export type SessionStart = Partial<
  Pick<
    TrainStart,
    | 'sessionId'
    | 'trainableOps'
    | 'lambdaMin'
    | 'lambdaMax'
    | 'learningRate'
    | 'batchSize'
    | 'epsMode'
    | 'emaActivations'
    | 'emaErrors'
    | 'emaWeights'
    | 'gradKind'
    | 'updateRule'
    | 'rounding'
    | 'biasLearningRate'
    | 'seed'
  >
>;

/**
 * A session's configuration as a device forms it (PROTOCOL.md §4.4.2, §5.7, §6.6.10): a field present in
 * TRAIN_START over the artifact's TRAIN record over the default (`gk` DELTA; `lrb` the session's `lr`,
 * `seed` 0, neither of which the record carries).
 */
export function sessionConfig(record: ArtifactTraining, start: SessionStart = {}): FqtConfig {
  const rule = start.updateRule ?? record.update ?? 'STANDARDIZED';
  const rounding = start.rounding ?? record.rounding ?? 'NEAREST';
  return {
    layers: start.trainableOps ?? record.trainableOps,
    lambdaMin: start.lambdaMin ?? record.lambdaMin,
    lambdaMax: start.lambdaMax ?? record.lambdaMax,
    learningRate: start.learningRate ?? record.learningRate,
    batchSize: start.batchSize ?? record.batchSize,
    epsMode: start.epsMode ?? record.epsMode,
    emaActivations: start.emaActivations ?? record.emaActivations,
    emaErrors: start.emaErrors ?? record.emaErrors,
    emaWeights: start.emaWeights ?? record.emaWeights,
    gradKind: start.gradKind ?? 'DELTA',
    update: RULES[rule],
    rounding: ROUNDINGS[rounding],
    roundingSeed: start.seed ?? 0,
    ...(start.biasLearningRate !== undefined && { biasLearningRate: start.biasLearningRate }),
    ...(start.sessionId !== undefined && { sessionId: start.sessionId }),
  };
}

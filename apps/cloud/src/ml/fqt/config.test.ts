/** sessionConfig: TRAIN_START over the TRAIN record over the defaults (PROTOCOL.md §4.4.2, §5.7, §6.6.10). */
import type { ArtifactTraining } from '@tinyfleet/protocol/artifact';
import { describe, expect, it } from 'vitest';
import { sessionConfig } from './config.js';

const RECORD: ArtifactTraining = {
  trainableOps: [2, 4],
  lambdaMin: 0.25,
  lambdaMax: 0.5,
  learningRate: 0.02,
  batchSize: 1,
  epsMode: 'LOSS_RATIO',
  emaActivations: 0.05,
  emaErrors: 0.5,
  emaWeights: 0.01,
  update: 'SGD',
  rounding: 'STOCHASTIC',
};

describe('sessionConfig (§6.6.10 carriage)', () => {
  it('takes the record, then the defaults the record does not carry', () => {
    expect(sessionConfig(RECORD)).toEqual({
      layers: [2, 4],
      lambdaMin: 0.25,
      lambdaMax: 0.5,
      learningRate: 0.02,
      batchSize: 1,
      epsMode: 'LOSS_RATIO',
      emaActivations: 0.05,
      emaErrors: 0.5,
      emaWeights: 0.01,
      gradKind: 'DELTA',
      update: 'sgd',
      rounding: 'stochastic',
      roundingSeed: 0,
    });
    // an artifact written before bytes 27, 28 were assigned reads as STANDARDIZED, NEAREST
    const { update: _u, rounding: _r, ...old } = RECORD;
    expect(sessionConfig(old)).toMatchObject({ update: 'standardized', rounding: 'nearest' });
  });

  it('a TRAIN_START field wins; lrb and seed come from TRAIN_START only', () => {
    const c = sessionConfig(RECORD, {
      sessionId: 9,
      trainableOps: [4],
      learningRate: 0.001,
      updateRule: 'CENTERED',
      rounding: 'NEAREST',
      biasLearningRate: 0.005,
      seed: 77,
      gradKind: 'GRADIENT',
    });
    expect(c).toMatchObject({
      layers: [4],
      learningRate: 0.001,
      update: 'centered',
      rounding: 'nearest',
      biasLearningRate: 0.005,
      roundingSeed: 77,
      gradKind: 'GRADIENT',
      sessionId: 9,
      lambdaMin: 0.25,
    });
    expect('biasLearningRate' in sessionConfig(RECORD)).toBe(false); // lr_b follows lr
  });
});

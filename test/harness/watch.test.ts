import { describe, expect, it } from 'vitest';
import { describeCommandResult, describeStreamEvent } from './watch.js';

describe('describeCommandResult', () => {
  it('names the outcome of a GW_COMMAND_RESULT as the cloud logs it', () => {
    expect(describeCommandResult('nrf52840-1', 'train.start:ses_1:abc: failed (15) not implemented')).toBe(
      'nrf52840-1: the device cannot train (INCOMPATIBLE: no model with a training plan)',
    );
    expect(describeCommandResult('d1', 'train.stop:ses_1:abc: failed (7)')).toMatch(
      /^d1: train\.stop failed: \w+$/,
    );
    expect(describeCommandResult('d1', 'train.start:ses_1:abc: ok')).toBe('d1: train.start ok');
    expect(describeCommandResult(null, 'something else')).toBe('gateway: something else');
  });
});

describe('describeStreamEvent', () => {
  it('says over how many samples a device averaged its loss and accuracy (§4.4.6)', () => {
    const seen = new Map<string, number>();
    const metrics = (sessionId: string, step: number, samplesSeen: number) =>
      describeStreamEvent(
        {
          event: 'metrics',
          data: {
            sessionId,
            deviceId: 'd1',
            step,
            values: { loss: 0.25, accuracy: 0.93, updateRate: 0.5, samplesSeen },
          },
        },
        seen,
      );
    expect(metrics('s1', 100, 100)).toBe(
      'metrics   d1 step 100: loss 0.25 acc 0.93 over 100 samples, update rate 0.5, samples 100',
    );
    expect(metrics('s1', 200, 200)).toMatch(/acc 0\.93 over 100 samples,/);
    expect(metrics('s1', 250, 250)).toMatch(/over 50 samples,/); // the last report of a session
    expect(metrics('s2', 40, 40)).toMatch(/over 40 samples,/); // a new session counts from 0
  });
});

import { describe, expect, it } from 'vitest';
import { describeCommandResult } from './watch.js';

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

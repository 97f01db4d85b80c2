/** Session config keys -> TRAIN_START / TRAIN_CONFIG (PROTOCOL.md §4.4.2, §4.4.4, §6.6.10). */
import { decodeMessage, encodeMessage, type Message, randomMessageId } from '@tinyfleet/protocol/messages';
import { describe, expect, it } from 'vitest';
import { startOnly, tunables } from './args.js';

describe('session args: update rule, rounding, bias rate and seed (§6.6.10)', () => {
  it('maps upd / rnd (value or name), lrb to both messages and seed to TRAIN_START only', () => {
    const args = { sid: 3, upd: 2, rnd: 'STOCHASTIC', lrb: 0.005, seed: 42, lr: 0.02, ew: 0.01 };
    expect(tunables(args)).toEqual({
      updateRule: 'SGD',
      rounding: 'STOCHASTIC',
      biasLearningRate: 0.005,
      learningRate: 0.02,
      emaWeights: 0.01,
    });
    expect(startOnly(args)).toEqual({ seed: 42 });
    expect(tunables({ upd: 'CENTERED', rnd: 0 })).toEqual({ updateRule: 'CENTERED', rounding: 'NEAREST' });

    // what the gateway sends decodes to the wire keys of §4.4.2
    const msg = {
      type: 'TRAIN_START',
      id: randomMessageId(),
      sessionId: 3,
      ...tunables(args),
      ...startOnly(args),
    };
    const back = decodeMessage(encodeMessage(msg as Message)) as Record<string, unknown>;
    expect(back).toMatchObject({ updateRule: 'SGD', rounding: 'STOCHASTIC', seed: 42 });
    expect(back.biasLearningRate).toBe(Math.fround(0.005));
  });

  it('an unknown rule value fails when the message is encoded (OUT_OF_RANGE / BAD_FIELD)', () => {
    const body = tunables({ upd: 7 });
    expect(body).toEqual({ updateRule: '#7' });
    expect(() =>
      encodeMessage({ type: 'TRAIN_CONFIG', id: randomMessageId(), sessionId: 1, ...body } as Message),
    ).toThrow(/UPDATE_RULES/);
  });
});

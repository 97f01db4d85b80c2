import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateQuantized } from '../../quant/evaluate.js';
import { postTrainingQuantize } from '../../quant/ptq.js';
import { allOpsModel, syntheticSplit } from '../../quant/test-models.js';
import { QuantEvalPool } from './index.js';

const split = syntheticSplit([8, 8, 3], 600, 5);
const q = postTrainingQuantize(allOpsModel(), split, { samples: 64, perChannel: true });

describe('integer evaluation in worker threads', () => {
  let pool: QuantEvalPool;
  beforeAll(async () => {
    pool = await QuantEvalPool.start(2);
  });
  afterAll(async () => {
    await pool.close();
  });

  it('predicts exactly what the reference interpreter does, over several chunks and a short last one', async () => {
    const ref = evaluateQuantized(q, split);
    const r = await pool.evaluate(q, split);
    expect(r.samples).toBe(600);
    expect([...r.predictions]).toEqual([...ref.predictions]);
    expect(r.accuracy).toBe(ref.accuracy);
    // the pool is reusable, and honours a limit
    const lim = await pool.evaluate(q, split, 260);
    expect([...lim.predictions]).toEqual([...ref.predictions.subarray(0, 260)]);
  });

  it('size 0 evaluates in this thread', async () => {
    const local = await QuantEvalPool.start(0);
    const r = await local.evaluate(q, split, 50);
    expect([...r.predictions]).toEqual([...evaluateQuantized(q, split, 50).predictions]);
    await local.close();
  });
});

import { describe, expect, it } from 'vitest';
import { profileByName } from '../../plan/profiles.js';
import { Rng } from '../../tensor/rng.js';
import { blobDataset } from '../../train/fixtures.js';
import { constraintsFor } from '../cost/constraints.js';
import { cheapCost } from '../cost/planned.js';
import { decode } from '../space/decode.js';
import { genomeKey } from '../space/genome.js';
import { randomGenome } from '../space/sample.js';
import { CandidateEvaluator, type EvaluatorOptions, evaluateCandidate, proxyBatch } from './candidate.js';
import { ScoringPool } from './pool.js';
import { searchArchive } from './run.js';

const data = blobDataset({ train: 64, test: 16, size: 12 });
const m4 = profileByName('cortex-m4');

function options(o: Partial<EvaluatorOptions> = {}): EvaluatorOptions {
  return {
    inputShape: data.inputShape,
    numClasses: data.numClasses,
    constraints: constraintsFor(m4),
    proxies: ['grad_norm', 'snip', 'naswot'],
    batch: proxyBatch(data.train, data.inputShape, data.numClasses, 8, 1),
    seed: 1,
    ...o,
  };
}

describe('candidate evaluation', () => {
  it('scores feasible candidates with the planner figures and the requested proxies', () => {
    const c = evaluateCandidate(randomGenome(new Rng(3)), options());
    expect(c.violation).toBe(0);
    expect(c.cost.planned).toBe(true);
    expect(Object.keys(c.scores ?? {}).sort()).toEqual(['grad_norm', 'naswot', 'snip']);
  });

  it('rejects on the cheap bounds before the planner, and on the planner before any proxy', () => {
    const rng = new Rng(9);
    const tiny = evaluateCandidate(
      randomGenome(rng),
      options({ constraints: constraintsFor(m4, { ramBytes: 1000 }) }),
    );
    expect(tiny.scores).toBeNull();
    expect(tiny.cost.planned).toBe(false);
    expect(tiny.ms.proxies).toBeLessThan(1);
    // a RAM limit the cheap lower bound meets exactly but the planner's arena exceeds
    let found = 0;
    for (let i = 0; i < 40 && found < 3; i++) {
      const g = randomGenome(rng);
      const cheap = cheapCost(decode(g, data.inputShape, data.numClasses, { seed: 1 }), m4, g);
      const c = evaluateCandidate(
        g,
        options({ constraints: constraintsFor(m4, { ramBytes: cheap.ramBytes }) }),
      );
      if (c.cost.ramBytes === cheap.ramBytes) continue;
      found++;
      expect(c.cost.planned).toBe(true);
      expect(c.violation).toBeGreaterThan(0);
      expect(c.scores).toBeNull();
    }
    expect(found).toBeGreaterThan(0);
  });

  it('worker threads give exactly the candidates of in-thread evaluation; the evaluator caches by key', async () => {
    const rng = new Rng(4);
    const genomes = Array.from({ length: 6 }, () => randomGenome(rng));
    const o = options();
    const pool = await ScoringPool.start(o, 2);
    try {
      const ev = new CandidateEvaluator(o, pool);
      const got = await ev.evaluateMany([...genomes, genomes[0]!]);
      expect(got).toHaveLength(7);
      expect(got[6]).toBe(got[0]);
      const strip = ({ ms: _ms, ...rest }: (typeof got)[number]) => rest;
      for (const [i, g] of genomes.entries()) expect(strip(got[i]!)).toEqual(strip(evaluateCandidate(g, o)));
      expect(ev.scored).toBe(got.slice(0, 6).filter((c) => c.scores).length);
      await ev.evaluateMany(genomes);
      expect(ev.scored).toBe(got.slice(0, 6).filter((c) => c.scores).length);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('random search can stop at a number of scored candidates (for equal-budget comparisons)', async () => {
    const o = options({ constraints: constraintsFor(m4, { maxMacs: 60_000 }), proxies: ['grad_norm'] });
    const ev = new CandidateEvaluator(o);
    const archive = await searchArchive(ev, { strategy: 'random', budget: 1, scoredTarget: 7, seed: 2 });
    expect(archive.filter((c) => c.scores)).toHaveLength(7);
    expect(archive.at(-1)!.scores).not.toBeNull();
    expect(archive.some((c) => !c.scores)).toBe(true);
    expect(new Set(archive.map((c) => genomeKey(c.genome))).size).toBe(archive.length);
  });
});

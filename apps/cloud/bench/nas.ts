/**
 * bench:nas — the zero-cost proxy benchmark and the ensemble's scoring throughput.
 *
 * 1. `--archs N` (40) architectures sampled from the search space (seeded; feasible for the
 *    cortex-m4 profile, <= `--max-macs` 3e6), each scored by every proxy and trained briefly on MNIST (`--mnist-limit`
 *    samples, 1 epoch) and on FSDD (`--fsdd-epochs` epochs); Kendall tau of each proxy, of the
 *    default ensemble and of the all-proxy ensemble vs test accuracy.
 * 2. Throughput: `--throughput N` (300) random feasible MNIST candidates scored by the default
 *    ensemble (cost model + proxies), candidates per second.
 * 3. `--compare-search B` (off): NSGA-II vs random search, B candidates each, on MNIST for the
 *    cortex-m4 profile (default MACs cap); hypervolume of each front, both normalised over the union.
 * `--json`: one JSON object on stdout; progress on stderr. `--skip-fsdd`, `--skip-mnist`.
 */
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/ml/data/index.js';
import type { Dataset } from '../src/ml/data/types.js';
import { constraintsFor } from '../src/ml/nas/cost/constraints.js';
import { profileByName } from '../src/ml/nas/cost/profiles.js';
import { ensembleScores, kendallTau } from '../src/ml/nas/proxies/ensemble.js';
import { DEFAULT_ENSEMBLE, PROXY_NAMES, type ProxyName } from '../src/ml/nas/proxies/types.js';
import { type Candidate, CandidateEvaluator, proxyBatch } from '../src/ml/nas/search/candidate.js';
import { hypervolumeOf, normalise, STRATEGIES, searchArchive } from '../src/ml/nas/search/run.js';
import { decode } from '../src/ml/nas/space/decode.js';
import { randomGenome } from '../src/ml/nas/space/sample.js';
import { trainBriefly } from '../src/ml/nas/train.js';
import { Rng } from '../src/ml/tensor/rng.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    archs: { type: 'string', default: '40' },
    throughput: { type: 'string', default: '300' },
    'mnist-limit': { type: 'string', default: '1500' },
    'fsdd-epochs': { type: 'string', default: '1' },
    'proxy-batch': { type: 'string', default: '32' },
    'skip-fsdd': { type: 'boolean', default: false },
    'skip-mnist': { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    'max-macs': { type: 'string', default: '3e6' },
    'compare-search': { type: 'string', default: '0' },
  },
});
const seed = Number(values.seed);
const nArchs = Number(values.archs);
const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};
// benchmark architectures: feasible on the cortex-m4 profile and <= --max-macs (keeps training brief)
const constraints = constraintsFor(profileByName('cortex-m4'), { maxMacs: Number(values['max-macs']) });

function evaluator(data: Dataset, proxies: readonly ProxyName[]): CandidateEvaluator {
  return new CandidateEvaluator({
    inputShape: data.inputShape,
    numClasses: data.numClasses,
    constraints,
    proxies,
    batch: proxyBatch(data.train, data.inputShape, data.numClasses, Number(values['proxy-batch']), seed),
    seed,
  });
}

function sampleFeasible(ev: CandidateEvaluator, n: number, rng: Rng): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  while (out.length < n) {
    const c = ev.evaluate(randomGenome(rng));
    if (c.scores && !seen.has(c.key)) {
      seen.add(c.key);
      out.push(c);
    }
  }
  return out;
}

async function proxyBenchmark(
  data: Dataset,
  train: { epochs: number; limit?: number; testLimit?: number },
): Promise<Record<string, unknown>> {
  const ev = evaluator(data, PROXY_NAMES);
  const cands = sampleFeasible(ev, nArchs, new Rng(seed));
  const acc: number[] = [];
  for (const [i, c] of cands.entries()) {
    const r = await trainBriefly(decode(c.genome, data.inputShape, data.numClasses, { seed }), data, {
      ...train,
      seed,
      threads: 2,
    });
    acc.push(r.testAccuracy);
    log(
      `${data.name} ${i + 1}/${cands.length} acc ${(r.testAccuracy * 100).toFixed(1)}% ${c.key} ${JSON.stringify(c.scores)}`,
    );
  }
  const taus: Record<string, number> = {};
  for (const p of PROXY_NAMES)
    taus[p] = kendallTau(
      cands.map((c) => c.scores![p] ?? Number.NaN),
      acc,
    );
  const scores = cands.map((c) => c.scores!);
  taus.ensemble_default = kendallTau(ensembleScores(scores, DEFAULT_ENSEMBLE), acc);
  taus.ensemble_all = kendallTau(ensembleScores(scores, PROXY_NAMES), acc);
  taus.params = kendallTau(
    cands.map((c) => c.cost.params),
    acc,
  );
  taus.flops = kendallTau(
    cands.map((c) => c.cost.flops),
    acc,
  );
  return {
    n: cands.length,
    train,
    accuracy: {
      min: Math.min(...acc),
      max: Math.max(...acc),
      mean: acc.reduce((a, b) => a + b, 0) / acc.length,
    },
    kendall_tau: taus,
    rows: cands.map((c, i) => ({ key: c.key, accuracy: acc[i], params: c.cost.params, ...c.scores })),
  };
}

const result: Record<string, unknown> = {
  default_ensemble: DEFAULT_ENSEMBLE,
  proxy_batch: Number(values['proxy-batch']),
};
const mnist = await loadDataset('mnist');
{
  const ev = evaluator(mnist, DEFAULT_ENSEMBLE);
  const rng = new Rng(seed + 1000);
  const n = Number(values.throughput);
  const t0 = performance.now();
  let evaluated = 0;
  while (ev.scored < n) {
    ev.evaluate(randomGenome(rng));
    evaluated++;
  }
  const seconds = (performance.now() - t0) / 1000;
  result.throughput = {
    scored: ev.scored,
    evaluated,
    seconds,
    candidates_per_s: ev.scored / seconds,
    projected_seconds_for_1000: (1000 * seconds) / ev.scored,
  };
  log(`throughput: ${(ev.scored / seconds).toFixed(1)} candidates/s`);
}
const budget = Number(values['compare-search']);
if (budget > 0) {
  const cmp: Record<string, unknown> = { budget };
  const archives: Candidate[][] = [];
  for (const strategy of STRATEGIES) {
    const ev = new CandidateEvaluator({
      inputShape: mnist.inputShape,
      numClasses: mnist.numClasses,
      constraints: constraintsFor(profileByName('cortex-m4')),
      proxies: DEFAULT_ENSEMBLE,
      batch: proxyBatch(mnist.train, mnist.inputShape, mnist.numClasses, Number(values['proxy-batch']), seed),
      seed,
    });
    const t0 = performance.now();
    archives.push(searchArchive(ev, { strategy, budget, populationSize: 30, seed }));
    cmp[strategy] = { seconds: (performance.now() - t0) / 1000, scored: ev.scored };
    log(`compare-search: ${strategy} done`);
  }
  const union = archives.flat();
  const f = normalise(union, DEFAULT_ENSEMBLE);
  let from = 0;
  for (const [i, strategy] of STRATEGIES.entries()) {
    const idx = archives[i]!.map((_, j) => from + j);
    from += archives[i]!.length;
    cmp[strategy] = { ...(cmp[strategy] as object), hypervolume: hypervolumeOf(f, idx) };
  }
  result.compare_search = cmp;
}
if (!values['skip-mnist'])
  result.mnist = await proxyBenchmark(mnist, {
    epochs: 1,
    limit: Number(values['mnist-limit']),
    testLimit: 2000,
  });
if (!values['skip-fsdd']) {
  const fsdd = await loadDataset('fsdd');
  result.fsdd = await proxyBenchmark(fsdd, { epochs: Number(values['fsdd-epochs']) });
}
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else process.stdout.write(`${JSON.stringify(result, (k, v) => (k === 'rows' ? undefined : v), 2)}\n`);

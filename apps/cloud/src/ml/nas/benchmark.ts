/**
 * The proxy benchmark (bench:nas `--tau`): `archs` architectures sampled from the search space
 * (seeded; feasible for the target by the planner, <= `maxMacs` so training stays brief), each
 * scored by every proxy at every proxy batch size, and trained briefly (train.ts); Kendall tau of
 * each proxy and of the ensembles against the test accuracy.
 *
 * Trained accuracies can be kept in a JSON cache (key: data set, training settings, genome key), so the
 * table of a new proxy setting costs the scoring only; the training is seeded, so a cache hit equals
 * a rerun.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Dataset } from '../data/types.js';
import { Rng } from '../tensor/rng.js';
import { type Constraints, constraintViolation } from './cost/constraints.js';
import { cheapCost, genomePerChannel, plannerCost } from './cost/planned.js';
import { ensembleScores, kendallTau } from './proxies/ensemble.js';
import { scoreGraph } from './proxies/score.js';
import { PROXY_NAMES, type ProxyName, type ProxyScores } from './proxies/types.js';
import { proxyBatch } from './search/candidate.js';
import { decode } from './space/decode.js';
import { type Genome, genomeKey } from './space/genome.js';
import { randomGenome } from './space/sample.js';
import { type BriefTraining, trainBriefly } from './train.js';

export interface TauOptions {
  readonly archs: number;
  readonly constraints: Constraints;
  readonly proxyBatches: readonly number[];
  readonly training: Omit<BriefTraining, 'seed' | 'threads'>;
  readonly seed: number;
  readonly threads: number;
  /** Ensembles to report besides the single proxies: name -> members (and weights). */
  readonly ensembles: Readonly<Record<string, readonly ProxyName[]>>;
  readonly cacheFile?: string;
  readonly log?: (s: string) => void;
}

export interface TauRow {
  readonly key: string;
  readonly accuracy: number;
  readonly params: number;
  readonly flops: number;
  /** Proxy scores per proxy batch size. */
  readonly scores: Readonly<Record<number, ProxyScores>>;
}

export interface TauTable {
  readonly dataset: string;
  readonly n: number;
  readonly training: TauOptions['training'];
  readonly accuracy: { readonly min: number; readonly max: number; readonly mean: number };
  /** tau[batch][proxy or ensemble name]; `params` and `flops` as baselines. */
  readonly tau: Readonly<Record<number, Readonly<Record<string, number>>>>;
  readonly rows: readonly TauRow[];
  readonly trainSeconds: number;
}

/** Distinct feasible genomes (cheap bounds, then the planner), in sampling order. */
export function sampleFeasible(
  n: number,
  c: Constraints,
  inputShape: readonly number[],
  numClasses: number,
  seed: number,
): Genome[] {
  const rng = new Rng(seed);
  const out: Genome[] = [];
  const seen = new Set<string>();
  for (let tries = 0; out.length < n && tries < n * 200; tries++) {
    const g = randomGenome(rng);
    const key = genomeKey(g);
    if (seen.has(key)) continue;
    seen.add(key);
    const graph = decode(g, inputShape, numClasses, { seed });
    if (constraintViolation(cheapCost(graph, c.profile, g), c) > 0) continue;
    if (constraintViolation(plannerCost(graph, c.profile, genomePerChannel(g)), c) > 0) continue;
    out.push(g);
  }
  return out;
}

/** Kendall tau of every proxy, `params`, `flops` and each named ensemble, per proxy batch size. */
export function tauTable(
  rows: readonly TauRow[],
  batches: readonly number[],
  ensembles: TauOptions['ensembles'],
): Record<number, Record<string, number>> {
  const acc = rows.map((r) => r.accuracy);
  const out: Record<number, Record<string, number>> = {};
  for (const b of batches) {
    const scores = rows.map((r) => r.scores[b]!);
    const t: Record<string, number> = {};
    for (const p of PROXY_NAMES)
      t[p] = kendallTau(
        scores.map((s) => s[p] ?? Number.NaN),
        acc,
      );
    for (const [name, members] of Object.entries(ensembles))
      t[name] = kendallTau(ensembleScores(scores, members), acc);
    t.params = kendallTau(
      rows.map((r) => r.params),
      acc,
    );
    t.flops = kendallTau(
      rows.map((r) => r.flops),
      acc,
    );
    out[b] = t;
  }
  return out;
}

function readCache(file: string | undefined): Record<string, number> {
  if (!file || !existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
}

export async function proxyBenchmark(data: Dataset, o: TauOptions): Promise<TauTable> {
  const genomes = sampleFeasible(o.archs, o.constraints, data.inputShape, data.numClasses, o.seed);
  const batches = o.proxyBatches.map((n) =>
    proxyBatch(data.train, data.inputShape, data.numClasses, n, o.seed),
  );
  const cache = readCache(o.cacheFile);
  const prefix = `${data.name}|${JSON.stringify(o.training)}|${o.seed}|`;
  const rows: TauRow[] = [];
  let trainSeconds = 0;
  for (const [i, g] of genomes.entries()) {
    const graph = decode(g, data.inputShape, data.numClasses, { seed: o.seed });
    const cost = plannerCost(graph, o.constraints.profile, genomePerChannel(g));
    const scores: Record<number, ProxyScores> = {};
    for (const [j, b] of batches.entries())
      scores[o.proxyBatches[j]!] = scoreGraph(graph, b, PROXY_NAMES, { seed: o.seed });
    const key = genomeKey(g);
    let accuracy = cache[prefix + key];
    if (accuracy === undefined) {
      const r = await trainBriefly(graph, data, { ...o.training, seed: o.seed, threads: o.threads });
      accuracy = r.testAccuracy;
      trainSeconds += r.seconds;
      cache[prefix + key] = accuracy;
      if (o.cacheFile) writeFileSync(o.cacheFile, JSON.stringify(cache));
    }
    rows.push({ key, accuracy, params: cost.params, flops: cost.flops, scores });
    o.log?.(`${data.name} ${i + 1}/${genomes.length} acc ${(accuracy * 100).toFixed(1)}% ${key}`);
  }
  const acc = rows.map((r) => r.accuracy);
  return {
    dataset: data.name,
    n: rows.length,
    training: o.training,
    accuracy: {
      min: Math.min(...acc),
      max: Math.max(...acc),
      mean: acc.reduce((a, b) => a + b, 0) / Math.max(1, acc.length),
    },
    tau: tauTable(rows, o.proxyBatches, o.ensembles),
    rows,
    trainSeconds,
  };
}

/**
 * bench:nas — the zero-shot NAS goals of issue 8, on MNIST for the cortex-m4 profile (256 KB RAM,
 * 1 MB flash; the planner's table).
 *
 * Default mode (`--json`: one JSON object on stdout; progress on stderr):
 * 1. throughput: `--throughput N` (1000) random candidates scored by the default ensemble in
 *    `--workers W` (2) worker threads (cheap bounds -> planner -> proxies), wall-clock seconds from
 *    pool start-up to the last score, candidates/s, and the per-stage milliseconds per candidate;
 *    the 1-minute load average is reported beside it (the machine may be shared);
 * 2. search: NSGA-II over `--budget B` (1000) candidates, then random search until it has scored as
 *    many candidates; hypervolume of both fronts in one objective space (ensemble rank over the
 *    union of both archives, log FLOPs min-max normalised over it), reference point (1.25, 1.25);
 * 3. final (nas/final.ts): the `--top K` (5) hypervolume-selected models of the zero-shot front
 *    trained on all of MNIST (`--epochs E`, 6; SGD, cosine from 0.05) and pruned by their genes
 *    (structured L1; `--prune-schedule agp`, the default: gradually during the training, cuts at 1/6,
 *    1/3 and 1/2 of it; `one-shot`: after it, then one fine-tune epoch), post-training quantized
 *    (8-bit, `--calibration N` samples, 1000), float and integer accuracy on the whole test split (the
 *    reference interpreter in 2 worker threads; `--quant-test-limit N` for the first N only), and the
 *    planner's verdict on the quantized artifact; total wall time of search + final, the load average,
 *    and the CPU minutes of all threads (/ 2: a lower bound of the time on 2 idle cores).
 *    `--max-macs-final N` caps MACs in steps 2-3 (default: the 25e6 of step 1); 2e6 halves the time
 *    but its best model is ~1 point less accurate. The random baseline's time is reported apart and
 *    is not counted in the pipeline's minutes.
 * `--quick`: a smoke run (100 candidates, k = 2, 1 epoch on 2,000 samples, int8 on 1,000); `--throughput-only`;
 * `--throughput 0` skips step 1.
 *
 * `--tau`: the proxy benchmark instead (nas/benchmark.ts): `--archs N` (40) architectures <= 3e6
 * MACs trained briefly on MNIST (`--mnist-limit` 1,500 samples, 1 epoch) and FSDD (1 epoch); Kendall
 * tau of each proxy and ensemble at proxy batch sizes `--proxy-batches` (16,32). `--tau-cache FILE`
 * keeps trained accuracies between runs.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadDataset } from '../src/ml/data/index.js';
import { proxyBenchmark, type TauOptions } from '../src/ml/nas/benchmark.js';
import { constraintsFor } from '../src/ml/nas/cost/constraints.js';
import { finalizeSelection, PRUNE_SCHEDULES, type PruneSchedule } from '../src/ml/nas/final.js';
import {
  DEFAULT_ENSEMBLE,
  DEFAULT_PROXY_BATCH,
  PREVIOUS_ENSEMBLE,
  PROXY_NAMES,
} from '../src/ml/nas/proxies/types.js';
import { type Candidate, CandidateEvaluator, proxyBatch } from '../src/ml/nas/search/candidate.js';
import { ScoringPool } from '../src/ml/nas/search/pool.js';
import {
  HV_REFERENCE,
  hypervolumeOf,
  normalise,
  searchArchive,
  selectTop,
} from '../src/ml/nas/search/run.js';
import { randomGenome } from '../src/ml/nas/space/sample.js';
import { profileByName } from '../src/ml/plan/profiles.js';
import { Rng } from '../src/ml/tensor/rng.js';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    tau: { type: 'boolean', default: false },
    'throughput-only': { type: 'boolean', default: false },
    'max-macs-final': { type: 'string' },
    archs: { type: 'string', default: '40' },
    throughput: { type: 'string' },
    budget: { type: 'string' },
    top: { type: 'string' },
    epochs: { type: 'string' },
    'train-limit': { type: 'string' },
    'prune-schedule': { type: 'string', default: 'agp' },
    'quant-test-limit': { type: 'string' },
    calibration: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '2' },
    'mnist-limit': { type: 'string', default: '1500' },
    'fsdd-epochs': { type: 'string', default: '1' },
    'proxy-batches': { type: 'string', default: '16,32' },
    'tau-cache': { type: 'string' },
    'skip-fsdd': { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    'max-macs': { type: 'string', default: '3e6' },
  },
});
const quick = values.quick;
const seed = Number(values.seed);
const workers = Number(values.workers);
const log = (s: string): void => {
  process.stderr.write(`${s}\n`);
};
const profile = profileByName('cortex-m4');
const load = (): number => Number(loadavg()[0]!.toFixed(2));
const result: Record<string, unknown> = { target: profile.name, default_ensemble: DEFAULT_ENSEMBLE };

async function tauMode(): Promise<void> {
  const o: Omit<TauOptions, 'training'> = {
    archs: Number(values.archs),
    constraints: constraintsFor(profile, { maxMacs: Number(values['max-macs']) }),
    proxyBatches: values['proxy-batches'].split(',').map(Number),
    seed,
    threads: 2,
    ensembles: {
      ensemble_default: DEFAULT_ENSEMBLE,
      ensemble_previous: PREVIOUS_ENSEMBLE,
      ensemble_all: PROXY_NAMES,
    },
    ...(values['tau-cache'] ? { cacheFile: values['tau-cache'] } : {}),
    log,
  };
  const mnist = await loadDataset('mnist');
  const training = { epochs: 1, limit: Number(values['mnist-limit']), testLimit: 2000 };
  result.mnist = await proxyBenchmark(mnist, { ...o, training });
  if (!values['skip-fsdd']) {
    const fsdd = await loadDataset('fsdd');
    result.fsdd = await proxyBenchmark(fsdd, { ...o, training: { epochs: Number(values['fsdd-epochs']) } });
  }
}

async function pipelineMode(): Promise<void> {
  const nThroughput = Number(values.throughput ?? (quick ? 100 : 1000));
  const budget = Number(values.budget ?? (quick ? 100 : 1000));
  const top = Number(values.top ?? (quick ? 2 : 5));
  const epochs = Number(values.epochs ?? (quick ? 1 : 6));
  const trainLimit = values['train-limit'] ?? (quick ? '2000' : undefined);
  const pruneSchedule = values['prune-schedule'] as PruneSchedule;
  if (!PRUNE_SCHEDULES.includes(pruneSchedule))
    throw new Error(`--prune-schedule: ${PRUNE_SCHEDULES.join(' or ')}`);
  const quantTestLimit = values['quant-test-limit'] ?? (quick ? '1000' : undefined);
  const mnist = await loadDataset('mnist');
  const options = {
    inputShape: mnist.inputShape,
    numClasses: mnist.numClasses,
    constraints: constraintsFor(profile),
    proxies: DEFAULT_ENSEMBLE,
    batch: proxyBatch(mnist.train, mnist.inputShape, mnist.numClasses, DEFAULT_PROXY_BATCH, seed),
    seed,
  };
  // the search that feeds the final training may add a MACs (latency) cap that keeps training short
  const capFinal = values['max-macs-final'];
  const finalConstraints = constraintsFor(profile, capFinal ? { maxMacs: Number(capFinal) } : {});
  const start = async (
    constraints = options.constraints,
  ): Promise<{ ev: CandidateEvaluator; pool: ScoringPool | null }> => {
    const o = { ...options, constraints };
    const pool = workers > 0 ? await ScoringPool.start(o, workers) : null;
    return { ev: new CandidateEvaluator(o, pool ?? undefined), pool };
  };

  // 1. throughput
  if (nThroughput > 0) {
    const load0 = load();
    const cpu0 = process.cpuUsage(); // all threads of the process
    const t0 = performance.now();
    const { ev, pool } = await start();
    const started = (performance.now() - t0) / 1000;
    const rng = new Rng(seed + 1000);
    const all: Candidate[] = [];
    while (ev.scored < nThroughput) {
      const want = nThroughput - ev.scored;
      all.push(...(await ev.evaluateMany(Array.from({ length: want }, () => randomGenome(rng)))));
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    await pool?.close();
    const scoredC = all.filter((c) => c.scores);
    const mean = (f: (c: Candidate) => number, xs: Candidate[]): number =>
      xs.reduce((a, c) => a + f(c), 0) / Math.max(1, xs.length);
    result.throughput = {
      workers,
      scored: ev.scored,
      evaluated: all.length,
      rejected_before_proxies: all.length - scoredC.length,
      seconds,
      pool_start_seconds: started,
      candidates_per_s: ev.scored / seconds,
      ms_per_candidate: {
        cost: mean((c) => c.ms.cost, all),
        proxies: mean((c) => c.ms.proxies, scoredC),
      },
      load_1m: { before: load0, after: load() },
      // CPU time of every thread: on a shared machine, cpu_seconds / workers is the idle-machine time
      cpu_seconds: cpuSeconds,
      cpu_ms_per_scored: (1000 * cpuSeconds) / ev.scored,
      projected_idle_seconds: cpuSeconds / Math.max(1, workers) + started,
    };
    log(`throughput: ${(ev.scored / seconds).toFixed(1)} candidates/s (load ${load0} -> ${load()})`);
  }

  if (values['throughput-only']) return;

  // 2. zero-shot vs random at the same number of scored candidates; 3. final training of k
  const t0 = performance.now();
  const loadStart = load();
  const cpuStart = process.cpuUsage();
  const { ev, pool } = await start(finalConstraints);
  const zs = await searchArchive(ev, {
    strategy: 'zero-shot',
    budget,
    seed,
    progress: (n, s) => log(`zero-shot: ${n} evaluated, ${s} scored`),
  });
  const searchSeconds = (performance.now() - t0) / 1000;
  const scored = zs.filter((c) => c.scores).length;
  const t1 = performance.now();
  const cpuBase = process.cpuUsage();
  const rnd = await searchArchive(ev, { strategy: 'random', budget, scoredTarget: scored, seed: seed + 7 });
  await pool?.close();
  const baselineMs = performance.now() - t1; // the random baseline is not part of the pipeline's time
  const baselineCpu = process.cpuUsage(cpuBase);
  const union = normalise([...zs, ...rnd], DEFAULT_ENSEMBLE);
  const idx = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  result.search = {
    budget,
    max_macs: finalConstraints.maxMacs,
    scored_each: scored,
    reference_point: HV_REFERENCE,
    zero_shot: {
      evaluated: zs.length,
      seconds: searchSeconds,
      hypervolume: hypervolumeOf(union, idx(0, zs.length)),
    },
    random: {
      evaluated: rnd.length,
      seconds: baselineMs / 1000,
      hypervolume: hypervolumeOf(union, idx(zs.length, rnd.length)),
    },
  };
  log(`search: ${JSON.stringify(result.search)}`);
  const front = normalise(zs, DEFAULT_ENSEMBLE);
  const chosen = selectTop(front, top).map((i) => zs[i]!);
  log(`selected: ${chosen.map((c) => `${c.key} (${c.cost.macs} MACs)`).join(', ')}`);
  const final = await finalizeSelection(chosen, mnist, {
    profile,
    epochs,
    seed,
    threads: 2,
    lr: 0.05,
    pruneSchedule,
    calibration: Number(values.calibration),
    ...(quantTestLimit !== undefined ? { quantTestLimit: Number(quantTestLimit) } : {}),
    ...(trainLimit !== undefined ? { limit: Number(trainLimit) } : {}),
    log,
  });
  const minutes = (performance.now() - t0 - baselineMs) / 60000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMinutes = (cpu.user + cpu.system - baselineCpu.user - baselineCpu.system) / 60e6;
  result.final = {
    k: chosen.length,
    epochs,
    prune_schedule: pruneSchedule,
    load_1m: { before_search: loadStart, after: load() },
    models: final,
    best_float_accuracy: Math.max(...final.map((m) => m.float_accuracy)),
    best_quant_accuracy: Math.max(...final.map((m) => m.quant_accuracy)),
    all_fit: final.every((m) => m.fits),
    minutes_search_to_quantized: minutes,
    // CPU time of every thread, the random baseline excluded; / 2 is a lower bound of the minutes on
    // 2 idle cores (single-threaded stretches count once), for a shared machine
    cpu_minutes: cpuMinutes,
    idle_minutes_lower_bound: cpuMinutes / 2,
  };
}

if (values.tau) await tauMode();
else await pipelineMode();
if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else process.stdout.write(`${JSON.stringify(result, (k, v) => (k === 'rows' ? undefined : v), 2)}\n`);

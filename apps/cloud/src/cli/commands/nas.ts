import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { constraintsFor } from '../../ml/nas/cost/constraints.js';
import { type FinalModel, finalizeSelection, PRUNE_SCHEDULES } from '../../ml/nas/final.js';
import { formatMoboNas, MOBO_DEFAULT_BUDGET, MOBO_STRATEGY, moboNas } from '../../ml/nas/mobo/index.js';
import {
  DEFAULT_ENSEMBLE,
  DEFAULT_PROXY_BATCH,
  isProxyName,
  type ProxyName,
} from '../../ml/nas/proxies/types.js';
import { CandidateEvaluator, proxyBatch } from '../../ml/nas/search/candidate.js';
import { ScoringPool } from '../../ml/nas/search/pool.js';
import { normalise, STRATEGIES, searchArchive, selectTop } from '../../ml/nas/search/run.js';
import { PROFILES, profileByName } from '../../ml/plan/profiles.js';
import { type FlagSpecs, number, oneOf, parseFlags, required, str, UsageError } from '../args.js';
import type { Command } from './command.js';
import { loadData } from './data.js';

const flags: FlagSpecs = {
  dataset: { type: 'string', value: 'NAME', help: 'data set: mnist, fsdd, csv:<file> or png:<dir>' },
  data: {
    type: 'string',
    value: 'DIR',
    help: 'data sets folder (default $TINYFLEET_DATASETS or ../shared/datasets)',
  },
  target: {
    type: 'string',
    value: 'PROFILE',
    help: `target MCU (the planner's table): ${PROFILES.map((x) => x.name).join(', ')} (cortex-m4)`,
  },
  ram: {
    type: 'string',
    value: 'BYTES',
    help: "limit of the planner's RAM: arena + runtime (suffix K or M allowed; default: the profile's RAM)",
  },
  flash: {
    type: 'string',
    value: 'BYTES',
    help: 'limit of the model artifact (suffix K or M allowed; default: one model slot of the profile)',
  },
  'latency-ms': { type: 'string', value: 'MS', help: "latency limit (the planner's cycle model)" },
  'max-macs': {
    type: 'string',
    value: 'N',
    help: 'MACs per inference limit (25e6; also bounds scoring time)',
  },
  strategy: {
    type: 'string',
    value: 'NAME',
    help: `search strategy: ${[...STRATEGIES, MOBO_STRATEGY].join(', ')} (zero-shot); mobo-ars trains every evaluated candidate (GP surrogate + ARS policies, apps/cloud/src/ml/nas/mobo/README.md)`,
  },
  top: {
    type: 'string',
    value: 'K',
    help: 'models selected by hypervolume subset selection (mobo-ars: the most accurate of its trained front) and trained, pruned and quantized (5)',
  },
  budget: {
    type: 'string',
    value: 'N',
    help: `distinct candidates evaluated (1000); mobo-ars: candidates trained (${MOBO_DEFAULT_BUDGET})`,
  },
  population: { type: 'string', value: 'N', help: 'NSGA-II population size (50)' },
  proxies: {
    type: 'string',
    value: 'LIST',
    help: `comma-separated proxies of the ensemble (${DEFAULT_ENSEMBLE.join(',')})`,
  },
  'proxy-batch': { type: 'string', value: 'N', help: `samples the proxies see (${DEFAULT_PROXY_BATCH})` },
  workers: { type: 'string', value: 'N', help: 'scoring worker threads (min(2, cores); 0: in this thread)' },
  'train-epochs': {
    type: 'string',
    value: 'E',
    help: 'training epochs of each selected model (with its pruning genes, --prune-schedule), then PTQ, int8 accuracy and the planner check (1; 0: no training)',
  },
  lr: {
    type: 'string',
    value: 'X',
    help: 'learning rate of the final training (SGD, cosine, weight decay 5e-4; 0.05)',
  },
  'train-limit': { type: 'string', value: 'N', help: 'train on the first N samples only' },
  'prune-schedule': {
    type: 'string',
    value: 'S',
    help: "how each trained model's pruning genes are applied: agp (four cuts, gradually, from 10% to 40% of the training) or one-shot (cut after training, then 1 fine-tune epoch) (agp)",
  },
  'quant-test-limit': {
    type: 'string',
    value: 'N',
    help: 'int8 accuracy on the first N test samples only (default: all, integer interpreter in --threads workers)',
  },
  seed: { type: 'string', value: 'S', help: 'seed of search, init and training (0)' },
  threads: { type: 'string', value: 'N', help: 'training threads (min(2, cores))' },
  'out-dir': {
    type: 'string',
    value: 'DIR',
    help: 'write each trained model that fits as a model artifact DIR/nas-<rank>.tfm (ready for OTA)',
  },
  json: { type: 'boolean', help: 'print one JSON object with the results on stdout' },
};

function bytes(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kKmM]i?[bB]?)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--${name} must be a byte count like 262144, 256K or 1M, got "${v}"`);
  const unit = (m[2] ?? '').toLowerCase()[0];
  return Math.round(Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1));
}

/** The final step's figures of a selected model, in the report's field names (nothing when not trained). */
function finalFields(f: FinalModel | undefined) {
  if (!f) return {};
  return {
    test_accuracy: f.float_accuracy,
    test_accuracy_unpruned: f.float_accuracy_unpruned,
    params_pruned: f.params,
    params_unpruned: f.params_unpruned,
    pruned: f.pruned,
    prune_schedule: f.prune_schedule,
    quant_accuracy: f.quant_accuracy,
    quant_test_samples: f.quant_test_samples,
    quant_flash_bytes: f.flash_bytes,
    quant_ram_bytes: f.ram_bytes,
    fits: f.fits,
    train_seconds: f.train_seconds,
    artifact: f.artifact,
  };
}

function proxyList(v: string | undefined): ProxyName[] {
  if (v === undefined) return [...DEFAULT_ENSEMBLE];
  const names = v.split(',').map((s) => s.trim());
  for (const n of names) if (!isProxyName(n)) throw new UsageError(`unknown proxy "${n}"`);
  return names as ProxyName[];
}

export const nasCommand: Command = {
  name: 'nas',
  summary: 'Zero-shot multi-objective NAS for a target MCU: search, pick k Pareto models, train them.',
  usage:
    'tinyfleet nas --dataset D --target PROFILE [--ram N --flash N --latency-ms N] --strategy zero-shot|random|mobo-ars --top K [--train-epochs E] [--json]',
  flags,
  positionals: 0,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 0);
    const datasetName = required(p, 'dataset');
    const profile = profileByName(str(p, 'target') ?? 'cortex-m4');
    const strategy = oneOf(p, 'strategy', [...STRATEGIES, MOBO_STRATEGY]) ?? 'zero-shot';
    const top = number(p, 'top', { integer: true, min: 1 }) ?? 5;
    const budget =
      number(p, 'budget', { integer: true, min: 2 }) ??
      (strategy === MOBO_STRATEGY ? MOBO_DEFAULT_BUDGET : 1000);
    const population = number(p, 'population', { integer: true, min: 2 }) ?? 50;
    const proxies = proxyList(str(p, 'proxies'));
    const nBatch = number(p, 'proxy-batch', { integer: true, min: 2 }) ?? DEFAULT_PROXY_BATCH;
    const workers = number(p, 'workers', { integer: true, min: 0 }) ?? Math.min(2, availableParallelism());
    const lr = number(p, 'lr', { min: 1e-9 }) ?? 0.05;
    const epochs = number(p, 'train-epochs', { integer: true, min: 0 }) ?? 1;
    const limit = number(p, 'train-limit', { integer: true, min: 1 });
    const quantTestLimit = number(p, 'quant-test-limit', { integer: true, min: 1 });
    const seed = number(p, 'seed', { integer: true, min: 0 }) ?? 0;
    const threads = number(p, 'threads', { integer: true, min: 1 }) ?? Math.min(2, availableParallelism());
    const latencyMs = number(p, 'latency-ms', { min: 0 });
    const maxMacs = number(p, 'max-macs', { min: 1 });
    const ramBytes = bytes(str(p, 'ram'), 'ram');
    const flashBytes = bytes(str(p, 'flash'), 'flash');
    const constraints = constraintsFor(profile, {
      ...(ramBytes !== undefined ? { ramBytes } : {}),
      ...(flashBytes !== undefined ? { flashBytes } : {}),
      ...(latencyMs !== undefined ? { latencyMs } : {}),
      ...(maxMacs !== undefined ? { maxMacs } : {}),
    });
    const log = (s: string): void => {
      io.stderr.write(`${s}\n`);
    };
    const t0 = performance.now();
    const data = await loadData(datasetName, str(p, 'data'), io.env);
    const finalOptions = {
      profile,
      epochs,
      seed,
      threads,
      lr,
      pruneSchedule: oneOf(p, 'prune-schedule', PRUNE_SCHEDULES) ?? 'agp',
      ...(limit !== undefined ? { limit } : {}),
      ...(str(p, 'out-dir') !== undefined ? { outDir: resolve(io.cwd, str(p, 'out-dir')!) } : {}),
      ...(quantTestLimit !== undefined ? { quantTestLimit } : {}),
      log,
    };
    if (strategy === MOBO_STRATEGY) {
      const r = await moboNas({
        data,
        constraints,
        budget,
        seed,
        threads,
        epochs: Math.max(1, epochs),
        log,
        ...(limit !== undefined ? { limit } : {}),
        ...(str(p, 'lr') !== undefined ? { lr } : {}),
      });
      // the same final step as zero-shot for the `top` most accurate members of the trained front
      const chosen = r.selected.slice(0, top);
      if (epochs > 0 && chosen.length > 0)
        log(`nas: training ${chosen.length} of the front of ${r.front_size}`);
      const final =
        epochs > 0
          ? await finalizeSelection(
              chosen.map((s) => ({ genome: s.genome, key: s.key, cost: { macs: s.macs } })),
              data,
              finalOptions,
            )
          : [];
      const report = { ...r, selected: r.selected.map((s, i) => ({ ...s, ...finalFields(final[i]) })) };
      io.stdout.write(p.flags.json ? `${JSON.stringify(report)}\n` : formatMoboNas(report));
      return r.selected.length > 0 ? 0 : 1;
    }
    const options = {
      inputShape: data.inputShape,
      numClasses: data.numClasses,
      constraints,
      proxies,
      batch: proxyBatch(data.train, data.inputShape, data.numClasses, nBatch, seed),
      seed,
    };
    const tSearch = performance.now();
    const pool = workers > 0 ? await ScoringPool.start(options, workers) : null;
    const ev = new CandidateEvaluator(options, pool ?? undefined);
    let archive: Awaited<ReturnType<typeof searchArchive>>;
    try {
      archive = await searchArchive(ev, {
        strategy,
        budget,
        populationSize: population,
        seed,
        progress: (n, scored) => log(`nas: ${n}/${budget} candidates evaluated, ${scored} scored`),
      });
    } finally {
      await pool?.close();
    }
    const searchSeconds = (performance.now() - tSearch) / 1000;
    const front = normalise(archive, proxies);
    if (front.front.length === 0) {
      log('nas: no candidate satisfies the constraints');
      io.stdout.write(`${JSON.stringify({ dataset: data.name, target: profile.name, selected: [] })}\n`);
      return 1;
    }
    const chosen = selectTop(front, top);
    log(
      `nas: front of ${front.front.length}, hypervolume ${front.hypervolume.toFixed(4)}; ${epochs > 0 ? 'training' : 'selected'} ${chosen.length}`,
    );
    const final =
      epochs > 0
        ? await finalizeSelection(
            chosen.map((i) => archive[i]!),
            data,
            finalOptions,
          )
        : [];
    const selected = chosen.map((i, rank) => {
      const c = archive[i]!;
      return {
        key: c.key,
        family: c.genome.family,
        ensemble: front.ensemble[i],
        params: c.cost.params,
        macs: c.cost.macs,
        flops: c.cost.flops,
        flash_bytes: c.cost.flashBytes,
        ram_bytes: c.cost.ramBytes,
        latency_ms: c.latencyMs,
        genome: c.genome,
        ...finalFields(final[rank]),
      };
    });
    const result = {
      dataset: data.name,
      target: profile.name,
      constraints: {
        ram_bytes: constraints.ramBytes,
        flash_bytes: constraints.flashBytes,
        latency_ms: latencyMs ?? null,
        max_macs: constraints.maxMacs,
      },
      strategy,
      proxies,
      budget,
      workers,
      evaluated: archive.length,
      scored: ev.scored,
      search_seconds: searchSeconds,
      scored_per_s: ev.scored / Math.max(1e-9, searchSeconds),
      front_size: front.front.length,
      hypervolume: front.hypervolume,
      selected,
      seconds: (performance.now() - t0) / 1000,
    };
    if (p.flags.json) io.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      for (const s of selected)
        io.stdout.write(
          `${s.key}  acc ${s.test_accuracy !== undefined ? `${(s.test_accuracy * 100).toFixed(2)}% (int8 ${((s.quant_accuracy ?? 0) * 100).toFixed(2)}%, ${s.fits ? 'fits' : 'does not fit'})` : 'n/a'}  params ${s.params}  MACs ${s.macs}  flash ${s.flash_bytes} B  RAM ${s.ram_bytes} B\n`,
        );
    }
    return 0;
  },
};

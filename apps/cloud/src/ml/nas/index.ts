/**
 * Zero-shot NAS (PrototypeNAS, RESEARCH.md §4): a typed search space over the zoo's families,
 * cheap cost bounds then the planner (its MCU profile table, plan/profiles.ts, is the one source),
 * zero-cost proxies and their rank ensemble scored in worker threads, NSGA-II, hypervolume and
 * hypervolume subset selection, and the final training + PTQ + planner check of the k selected.
 */
export * from './cost/constraints.js';
export * from './cost/estimate.js';
export * from './cost/planned.js';
export { NasError, type NasErrorCode } from './errors.js';
export * from './proxies/ensemble.js';
export { scoreGraph } from './proxies/score.js';
export * from './proxies/types.js';
export * from './search/candidate.js';
export * from './search/hypervolume.js';
export * from './search/nsga2.js';
export * from './search/pareto.js';
export { ScoringPool } from './search/pool.js';
export * from './search/run.js';
export { decode, stageOfNode } from './space/decode.js';
export * from './space/genome.js';
export * from './space/sample.js';

/**
 * Scoring worker (pool.ts): evaluates the genomes it is sent with `evaluateCandidate` and the options
 * it was started with, one at a time, and posts each candidate back (or the error).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Genome } from '../space/genome.js';
import { type EvaluatorOptions, evaluateCandidate } from './candidate.js';

const options = (workerData as { init: EvaluatorOptions }).init;
const port = parentPort!;
port.on('message', (m: { id: number; genome: Genome }) => {
  try {
    port.postMessage({ id: m.id, candidate: evaluateCandidate(m.genome, options) });
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
port.postMessage({ ready: true });

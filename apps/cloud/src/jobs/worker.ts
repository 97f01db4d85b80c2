/**
 * A job step in a worker thread: runs `tinyfleet COMMAND ARGS... --json` in the job's folder with an
 * in-memory io. Every stderr line goes to the parent as progress; at the end the exit code and stdout.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { main } from '../cli/main.js';

export interface StepRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
}

export type StepMessage =
  | { type: 'line'; line: string }
  | { type: 'done'; code: number; stdout: string; stderrTail: string[] };

const port = parentPort;
if (!port) throw new Error('jobs/worker.ts runs in a worker thread');
const req = (workerData as { init: StepRequest }).init;

const TAIL = 20;
let out = '';
let pending = '';
const tail: string[] = [];
const emit = (line: string) => {
  if (line.trim() === '') return;
  tail.push(line);
  if (tail.length > TAIL) tail.shift();
  port.postMessage({ type: 'line', line } satisfies StepMessage);
};

const code = await main(req.argv, {
  stdout: { write: (s: string) => (out += s) },
  stderr: {
    write: (s: string) => {
      pending += s;
      // progress bars redraw with \r: each redraw is a line too
      const parts = pending.split(/\r\n|\n|\r/);
      pending = parts.pop() ?? '';
      for (const p of parts) emit(p);
    },
  },
  env: req.env,
  cwd: req.cwd,
});
emit(pending);
port.postMessage({ type: 'done', code, stdout: out, stderrTail: tail } satisfies StepMessage);

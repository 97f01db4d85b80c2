/**
 * Validating a job's steps before it is queued: each step is one `tinyfleet` ML command with its argv,
 * checked by that command's own flag parser, so a bad request fails at submission (HTTP 400) with the
 * CLI's message, never later in a worker. Files a step reads or writes live in the job's folder: file
 * arguments are plain names there, or `job:JOB_ID/NAME` for a file another job wrote.
 */
import { parseFlags, UsageError } from '../cli/args.js';
import { COMMANDS } from '../cli/commands/index.js';
import type { JobStep } from '../store/repo/jobs.js';

/** The commands a job may run: local compute only (no network, no server). */
export const JOB_COMMANDS = [
  'train',
  'eval',
  'quantize',
  'compress',
  'nas',
  'plan',
  'export',
  'import',
  'fqt-sim',
] as const;
export const MAX_STEPS = 8;
const MAX_ARGS = 64;
const MAX_ARG_CHARS = 1024;
/** Flags whose value is a file of the job folder. */
const FILE_FLAGS = new Set(['out', 'resume', 'out-dir']);
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const JOB_REF = /^job:(job_[a-z0-9]{21})\/([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/;

export class JobSpecError extends Error {
  override readonly name = 'JobSpecError';
}

/** A file of another job that a step reads: copied into this job's folder before the step runs. */
export interface JobInput {
  jobId: string;
  file: string;
}

export function parseJobRef(arg: string): JobInput | undefined {
  const m = JOB_REF.exec(arg);
  return m ? { jobId: m[1]!, file: m[2]! } : undefined;
}

function checkFileArg(v: string, where: string): void {
  if (PLAIN_NAME.test(v) || JOB_REF.test(v)) return;
  throw new JobSpecError(
    `${where}: "${v}" must be a file name in the job folder (letters, digits, . _ -) or job:JOB_ID/NAME`,
  );
}

/** Check one step; throws JobSpecError (bad shape or path) or UsageError (the command's own parser). */
export function validateStep(step: JobStep, index: number): void {
  const at = `steps[${index}]`;
  if (!(JOB_COMMANDS as readonly string[]).includes(step.command)) {
    throw new JobSpecError(`${at}.command must be one of ${JOB_COMMANDS.join(', ')}, got "${step.command}"`);
  }
  const cmd = COMMANDS.find((c) => c.name === step.command);
  if (!cmd) throw new JobSpecError(`${at}.command "${step.command}" is not available`);
  if (step.args.length > MAX_ARGS) throw new JobSpecError(`${at}.args: at most ${MAX_ARGS} arguments`);
  for (const a of step.args) {
    if (a.length > MAX_ARG_CHARS || a.includes('\0'))
      throw new JobSpecError(`${at}.args: an argument is longer than ${MAX_ARG_CHARS} characters or has NUL`);
    if (a === '--help' || a === '-h') throw new JobSpecError(`${at}.args: --help is not a job`);
  }
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(step.args, cmd.flags, cmd.positionals);
  } catch (e) {
    if (e instanceof UsageError) throw new UsageError(`${at} (${step.command}): ${e.message}`, { cause: e });
    throw e;
  }
  parsed.positionals.forEach((p, i) => {
    if (step.command === 'export' && i === 0) return; // the format name
    checkFileArg(p, `${at}.args positional ${i + 1}`);
  });
  for (const f of FILE_FLAGS) {
    const v = parsed.flags[f];
    // `--out-dir .`: the job folder itself (nas writes its artifacts there, to be registered)
    if (typeof v === 'string' && !(f === 'out-dir' && v === '.')) checkFileArg(v, `${at} --${f}`);
  }
}

export function validateSteps(steps: readonly JobStep[]): void {
  if (steps.length === 0 || steps.length > MAX_STEPS)
    throw new JobSpecError(`steps: 1 to ${MAX_STEPS} steps, got ${steps.length}`);
  steps.forEach(validateStep);
}

/**
 * The fraction done a progress line states: `epoch e/E ... i/n` (training) counts whole epochs plus the
 * part of this one, `epoch e/E done` is e/E, else the first `i/n` of the line; null when there is none.
 */
export function lineFraction(line: string): number | null {
  const pairs = [...line.matchAll(/(\d+)\s*\/\s*(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  const ok = pairs.filter(([i, n]) => n > 0 && i <= n);
  if (ok.length === 0) return null;
  const [e, epochs] = ok[0]!;
  if (/\bepoch\s+\d/.test(line) && !/\bdone\b/.test(line) && ok.length >= 2) {
    const [i, n] = ok[1]!;
    return (e - 1 + i / n) / epochs;
  }
  return e / epochs;
}

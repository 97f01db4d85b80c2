/**
 * `tinyfleet jobs <action>`: cloud jobs (apps/cloud/src/jobs/README.md) through the HTTP API: submit
 * steps (`tinyfleet` commands, separated by `--`), list, show, watch live, cancel, download a file.
 * Server and token as for `tinyfleet ota`: --url / --token, $TINYFLEET_URL / $TINYFLEET_TOKEN, or --site.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type FlagSpecs, parseFlags, required, str, UsageError } from '../args.js';
import type { CliIo } from '../io.js';
import type { Command } from './command.js';
import { API_FLAGS, type ApiClient, apiFrom, readEvents, readSite } from './ota-api.js';

const flags: FlagSpecs = {
  ...API_FLAGS,
  name: { type: 'string', value: 'NAME', help: 'submit: the job name (required)' },
  register: { type: 'boolean', help: 'submit: register the .tfm artifacts written as signed models' },
  watch: { type: 'boolean', help: 'submit: then watch the job until it ends' },
  status: { type: 'string', value: 'S', help: 'list: only jobs in this status' },
  out: { type: 'string', value: 'FILE', help: 'get: where to write the file (its own name)' },
  json: { type: 'boolean', help: 'print the JSON answer (watch: the final job)' },
};

interface JobView {
  id: string;
  name: string;
  status: string;
  progress: { step: number; steps: number; line: string | null; fraction: number | null };
  results: unknown[];
  files: string[];
  modelIds: string[];
  error: string | null;
}

const ENDED = new Set(['succeeded', 'failed', 'cancelled']);
const pct = (f: number | null) => (f === null ? '   ' : `${Math.round(f * 100)}%`.padStart(4));

/** `submit ... -- CMD ARGS -- CMD ARGS`: the steps after the first `--`, split at each further `--`. */
export function splitSteps(argv: readonly string[]): {
  head: string[];
  steps: { command: string; args: string[] }[];
} {
  const at = argv.indexOf('--');
  if (at < 0) return { head: [...argv], steps: [] };
  const steps: { command: string; args: string[] }[] = [];
  let cur: string[] = [];
  for (const a of [...argv.slice(at + 1), '--']) {
    if (a !== '--') cur.push(a);
    else if (cur.length > 0) {
      const [command, ...args] = cur;
      steps.push({ command: command!, args });
      cur = [];
    }
  }
  return { head: argv.slice(0, at), steps };
}

function line(j: JobView): string {
  const step = `${Math.min(j.progress.step + 1, j.progress.steps)}/${j.progress.steps}`;
  const tail = j.error ?? j.progress.line ?? '';
  return `${j.id}  ${j.status.padEnd(9)} ${pct(j.progress.fraction)} step ${step}  ${j.name}${tail ? `  ${tail}` : ''}`;
}

/** Follow a job on the SSE stream (re-reading it on every reconnect) until it ends; 0 if it succeeded. */
async function watch(api: ApiClient, id: string, io: CliIo, json: boolean): Promise<number> {
  const get = () => api.call<JobView>('GET', `/v1/jobs/${id}`);
  const ac = new AbortController();
  let job = await get();
  let last = '';
  const show = () => {
    const l = line(job);
    if (!json && l !== last) io.stdout.write(`${l}\n`);
    last = l;
    if (ENDED.has(job.status)) ac.abort();
  };
  show();
  while (!ENDED.has(job.status)) {
    await readEvents(
      api,
      `types=job&jobId=${id}`,
      ac.signal,
      (_event, data) => {
        const d = data as Pick<JobView, 'status' | 'progress'>;
        job = { ...job, status: d.status, progress: d.progress };
        show();
      },
      // once subscribed, re-read: an end that happened while we were not listening is seen too
      () => {
        void get().then((j) => {
          job = j;
          show();
        });
      },
    ).catch(() => undefined);
    if (!ENDED.has(job.status)) await new Promise((r) => setTimeout(r, 1000));
  }
  job = await get(); // with results, files, models and error
  show();
  if (json) io.stdout.write(`${JSON.stringify(job)}\n`);
  return job.status === 'succeeded' ? 0 : 1;
}

export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'Cloud jobs (NAS, compression, training, quantization in worker threads): submit, watch, cancel.',
  usage: `tinyfleet jobs submit --name NAME [--register] [--watch] -- COMMAND ARGS... [-- COMMAND ARGS...]
       tinyfleet jobs list [--status S] | show ID | watch ID | cancel ID | get ID FILE [--out PATH]`,
  flags,
  positionals: 3,
  async run(argv, io) {
    const { head, steps } = splitSteps(argv);
    const p = parseFlags(head, flags, 3);
    const [action, id, file] = p.positionals;
    const site = str(p, 'site') !== undefined ? readSite(str(p, 'site')!, io.cwd) : undefined;
    const api = apiFrom({ url: str(p, 'url'), token: str(p, 'token') }, io.env, site);
    const json = p.flags.json === true;
    const need = () => {
      if (!id || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new UsageError(`${action}: missing or bad job id`);
      return id;
    };
    switch (action) {
      case 'submit': {
        if (steps.length === 0)
          throw new UsageError('submit: give the steps after --, e.g. -- nas --dataset mnist');
        const body = { name: required(p, 'name'), steps, register: p.flags.register === true };
        const job = await api.call<JobView>('POST', '/v1/jobs', body);
        io.stdout.write(json && p.flags.watch !== true ? `${JSON.stringify(job)}\n` : `${line(job)}\n`);
        return p.flags.watch === true ? watch(api, job.id, io, json) : 0;
      }
      case 'list': {
        const q = str(p, 'status') ? `?status=${encodeURIComponent(str(p, 'status')!)}` : '';
        const page = await api.call<{ items: JobView[] }>('GET', `/v1/jobs${q}`);
        io.stdout.write(json ? `${JSON.stringify(page)}\n` : page.items.map((j) => `${line(j)}\n`).join(''));
        return 0;
      }
      case 'show': {
        const j = await api.call<JobView>('GET', `/v1/jobs/${need()}`);
        io.stdout.write(json ? `${JSON.stringify(j)}\n` : `${JSON.stringify(j, null, 2)}\n`);
        return 0;
      }
      case 'watch':
        return watch(api, need(), io, json);
      case 'cancel': {
        const j = await api.call<JobView>('POST', `/v1/jobs/${need()}/cancel`, {});
        io.stdout.write(json ? `${JSON.stringify(j)}\n` : `${line(j)}\n`);
        return 0;
      }
      case 'get': {
        if (!file) throw new UsageError('get: missing the file name');
        const res = await fetch(`${api.url}/v1/jobs/${need()}/files/${encodeURIComponent(file)}`, {
          headers: { authorization: `Bearer ${api.token}` },
        });
        if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
        const out = resolve(io.cwd, str(p, 'out') ?? file);
        await writeFile(out, new Uint8Array(await res.arrayBuffer()));
        io.stdout.write(`${out}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown action "${action ?? ''}": submit, list, show, watch, cancel or get`);
    }
  },
};

/**
 * `tinyfleet ota watch CAMPAIGN`: follows a campaign live until it ends. It subscribes to the cloud's SSE
 * stream (`GET /v1/stream?types=ota`, apps/cloud/src/ota/README.md "Live progress") before it reads the
 * campaign and its executions, so nothing falls between the snapshot and the stream. It prints every
 * device's state change (`offered`, `downloading`, ..., `succeeded`), the block progress of downloading
 * devices, every change of the campaign's status or phase, and each phase's counts when they change. A
 * refresh every `intervalMs` catches what a dropped stream missed (the stream reconnects by itself, e.g.
 * across a cloud restart). Returns 0 when the campaign succeeded, 1 when it was aborted or canceled.
 * Without a campaign id it prints every OTA event of every campaign until interrupted.
 */
import type { CliIo } from '../io.js';
import { type ApiClient, readEvents } from './ota-api.js';

export interface WatchOptions {
  /** Re-read the campaign and its executions this often while it runs. */
  readonly intervalMs: number;
  /** The last line printed is the final campaign as JSON. */
  readonly json: boolean;
  /** Stops the watch (tests); the result is then 1. */
  readonly signal?: AbortSignal;
}

interface OtaEvent {
  kind: 'execution' | 'campaign';
  campaignId: string;
  deviceId?: string;
  state: string;
  phase: number;
  error?: string | null;
}

interface PhaseView {
  index: number;
  size: number;
  succeeded: number;
  failures: number;
  terminal: number;
}

interface CampaignView {
  id: string;
  name: string;
  modelId: string;
  status: string;
  phase: number;
  phaseCount: number;
  egressBytes: number;
  reason: string | null;
  excluded: { deviceId: string; code: string }[];
  counts: Record<string, number>;
  phases: PhaseView[];
}

interface ExecutionView {
  deviceId: string;
  phase: number;
  state: string;
  error: string | null;
  progress: { have?: number; nb?: number } | null;
}

const FINAL = new Set(['succeeded', 'aborted', 'canceled']);
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((r) => {
    const t = setTimeout(r, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      r();
    });
  });

/** Reads `GET /v1/stream?types=ota` and hands each event to `on`; resolves when the stream ends. */
const readStream = (api: ApiClient, signal: AbortSignal, on: (e: OtaEvent) => void, opened: () => void) =>
  readEvents(api, 'types=ota', signal, (name, data) => name === 'ota' && on(data as OtaEvent), opened);

/** Every OTA event of every campaign, one line each, until interrupted (`ota watch` without an id). */
export async function watchAll(api: ApiClient, io: CliIo, o: WatchOptions): Promise<number> {
  const stop = o.signal ?? new AbortController().signal;
  while (!stop.aborted) {
    await readStream(
      api,
      stop,
      (e) => io.stdout.write(`${e.campaignId} ${e.kind === 'campaign' ? '*' : e.deviceId} ${e.state}\n`),
      () => {},
    ).catch(() => sleep(1000, stop));
  }
  return 1;
}

const clock = () => new Date().toISOString().slice(11, 23);

export async function watchCampaign(api: ApiClient, id: string, io: CliIo, o: WatchOptions): Promise<number> {
  const out = (s: string) => io.stdout.write(`${clock()}  ${s}\n`);
  const ac = new AbortController();
  o.signal?.addEventListener('abort', () => ac.abort());
  const states = new Map<string, string>();
  const progress = new Map<string, number>();
  const phaseLines = new Map<number, string>();
  let status = '';
  let phase = -1;
  let view: CampaignView | undefined;
  let refreshing: Promise<void> | undefined;
  let again = false;
  let finished: (() => void) | undefined;
  const ended = new Promise<void>((r) => {
    finished = r;
  });

  const device = (dev: string, to: string, p: number, error?: string | null) => {
    const from = states.get(dev);
    if (from === to) return;
    states.set(dev, to);
    out(`${dev.padEnd(16)} ${from ?? '-'} -> ${to}  (phase ${p + 1})${error ? `  ${error}` : ''}`);
  };
  const phaseLine = (c: CampaignView, p: PhaseView) => {
    const open = p.size - p.terminal;
    const line = `phase ${p.index + 1}/${c.phaseCount}: ${p.succeeded}/${p.size} succeeded, ${p.failures} failed, ${open} in flight`;
    if (phaseLines.get(p.index) !== line) out(line);
    phaseLines.set(p.index, line);
  };
  /** Phases before the current one, the phase change, the current phase, then the status. */
  const campaign = (c: CampaignView) => {
    for (const p of c.phases) if (p.index < c.phase) phaseLine(c, p);
    if (c.phase !== phase && phase >= 0) out(`campaign: phase ${c.phase + 1}/${c.phaseCount} starts`);
    phase = c.phase;
    const current = c.phases[c.phase];
    if (current) phaseLine(c, current);
    if (c.status !== status) out(`campaign: ${c.status}`);
    status = c.status;
  };

  /** Re-reads the campaign and its executions; prints what changed. Concurrent calls coalesce. */
  const refresh = (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = (async () => {
      do {
        again = false;
        const c = await api.call<CampaignView>('GET', `/v1/campaigns/${encodeURIComponent(id)}`);
        const ex = await api.call<{ items: ExecutionView[] }>(
          'GET',
          `/v1/campaigns/${encodeURIComponent(id)}/executions?limit=500`,
        );
        for (const e of ex.items) {
          device(e.deviceId, e.state, e.phase, e.error);
          const have = Number(e.progress?.have ?? 0);
          const nb = Number(e.progress?.nb ?? 0);
          if (e.state === 'downloading' && nb > 0) {
            // block progress of a downloading device, a line per quarter
            const q = Math.floor((4 * have) / nb);
            if (q < 4 && q > (progress.get(e.deviceId) ?? -1)) {
              out(`${e.deviceId.padEnd(16)} downloading ${have}/${nb} blocks`);
              progress.set(e.deviceId, q);
            }
          }
        }
        campaign(c);
        view = c;
        if (FINAL.has(c.status)) finished?.();
      } while (again);
    })().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  };

  // 1. the stream first, then the snapshot: events of the gap are printed by whichever comes first
  let opened: () => void = () => {};
  const open = new Promise<void>((r) => {
    opened = r;
  });
  const stream = (async () => {
    while (!ac.signal.aborted) {
      await readStream(
        api,
        ac.signal,
        (e) => {
          if (e.campaignId !== id) return;
          if (e.kind === 'execution' && e.deviceId) device(e.deviceId, e.state, e.phase, e.error);
          void refresh().catch(() => {}); // campaign status, phase counts, block progress
        },
        opened,
      ).catch(() => {});
      if (!ac.signal.aborted) await sleep(500, ac.signal);
    }
  })();
  await Promise.race([open, sleep(5000)]);
  const first = await api.call<CampaignView>('GET', `/v1/campaigns/${encodeURIComponent(id)}`);
  out(
    `campaign ${first.id} "${first.name}": model ${first.modelId}, ${first.phaseCount} phase(s), ` +
      `${first.phases.reduce((n, p) => n + p.size, 0)} device(s), ${first.excluded.length} excluded`,
  );
  for (const x of first.excluded) out(`${x.deviceId.padEnd(16)} excluded: ${x.code}`);
  await refresh();

  // 2. periodic refresh until the campaign ends (or the caller stops us)
  const ticker = (async () => {
    while (!ac.signal.aborted && !FINAL.has(status)) {
      await sleep(o.intervalMs, ac.signal);
      if (!ac.signal.aborted) await refresh().catch(() => {}); // the cloud may be restarting
    }
  })();
  await Promise.race([ended, new Promise<void>((r) => ac.signal.addEventListener('abort', () => r()))]);
  ac.abort();
  await Promise.allSettled([stream, ticker]);
  const c = view;
  if (!c || !FINAL.has(c.status)) return 1;
  const counts = Object.entries(c.counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  out(
    `campaign ${c.id} ${c.status}${c.reason ? ` (${c.reason})` : ''}: ${counts}; cloud egress ${c.egressBytes} B`,
  );
  if (o.json) io.stdout.write(`${JSON.stringify(c)}\n`);
  return c.status === 'succeeded' ? 0 : 1;
}

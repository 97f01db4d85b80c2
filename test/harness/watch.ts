/**
 * Live lines of a running site, for a terminal: the cloud's SSE stream (presence, metrics, gradient
 * updates: one line per device and step, ./gradient-lines.ts), the outcome of commands per device (from
 * the cloud's event log: GW_COMMAND_RESULT, device ERROR and LOG, session status), and a periodic summary
 * of the devices with their last heartbeat.
 */
import { ErrorCode } from '@tinyfleet/protocol/constants';
import { GradientLines } from './gradient-lines.js';
import type { Site } from './site.js';
import { openStream, type StreamEvent } from './sse.js';

const ERROR_NAME = new Map<number, string>(Object.entries(ErrorCode).map(([k, v]) => [v, k]));

/** The protocol name of the error code in an ERROR event's data ({code, re}). */
function errorName(data: unknown): string {
  const code = typeof data === 'object' && data !== null ? (data as { code?: unknown }).code : undefined;
  return typeof code === 'number' ? (ERROR_NAME.get(code) ?? `code ${code}`) : 'code ?';
}

const time = () => new Date().toISOString().slice(11, 19);
const num = (v: unknown, digits = 4) => (typeof v === 'number' ? Number(v.toPrecision(digits)) : '-');

/** A GW_COMMAND_RESULT as the cloud logs it ("train.start:<session>:<nonce>: failed (15) text"). */
export function describeCommandResult(deviceId: string | null, message: string): string {
  const m = /^([a-z.]+):[^:]*:[^:]*: (ok|failed \((\d+)\))\s*(.*)$/.exec(message);
  const who = deviceId ?? 'gateway';
  if (!m) return `${who}: ${message}`;
  const [, command, outcome, code, text] = m;
  if (outcome === 'ok') return `${who}: ${command} ok${text ? ` ${text}` : ''}`;
  const name = ERROR_NAME.get(Number(code)) ?? `error ${code}`;
  if (command === 'train.start' && name === 'INCOMPATIBLE')
    return `${who}: the device cannot train (INCOMPATIBLE: no model with a training plan)`;
  return `${who}: ${command} failed: ${name}${text ? ` (${text})` : ''}`;
}

/**
 * A device's TRAIN_METRICS loss and accuracy are means over the samples since its previous report
 * (PROTOCOL.md §4.4.6): how many, from the samples seen at each report of the session.
 */
function windowOf(seen: Map<string, number>, d: Record<string, unknown>, samples: unknown): string {
  if (typeof samples !== 'number') return '';
  const key = `${d.sessionId}/${d.deviceId}`;
  const before = seen.get(key) ?? 0;
  seen.set(key, samples);
  return samples > before ? ` over ${samples - before} samples` : '';
}

/** The live line of one stream event; `seen`: samples at each device's last metrics, kept by the caller. */
export function describeStreamEvent(e: StreamEvent, seen: Map<string, number>): string | undefined {
  const d = (e.data ?? {}) as Record<string, unknown>;
  switch (e.event) {
    case 'presence':
      return `presence  ${d.deviceId ? `device ${d.deviceId}` : `gateway ${d.gatewayId}`} ${d.online ? 'online' : 'offline'}`;
    case 'metrics': {
      const v = (d.values ?? {}) as Record<string, unknown>;
      const window = windowOf(seen, d, v.samplesSeen);
      return `metrics   ${d.deviceId} step ${d.step}: loss ${num(v.loss)} acc ${num(v.accuracy)}${window}, update rate ${num(v.updateRate, 3)}, samples ${v.samplesSeen ?? '-'}`;
    }
    case 'ota':
      return `ota       ${d.kind} ${d.deviceId ?? d.campaignId}: ${d.state}`;
    default:
      return undefined;
  }
}

const EVENT_KINDS = new Set([
  'command.result',
  'device.error',
  'device.log',
  'session.status',
  'gateway.error',
]);

export interface Watcher {
  close(): void;
}

/** Prints live lines of `site` with `print` until closed. */
export function watchSite(
  site: Site,
  print: (line: string) => void,
  o: { summaryEveryMs?: number } = {},
): Watcher {
  const out = (s: string) => print(`${time()} ${s}`);
  const samplesSeen = new Map<string, number>(); // per session and device, at its last metrics
  const gradients = new GradientLines(out);
  const stream = openStream({
    url: () => site.cloud.cloud.httpUrl,
    token: site.cloud.adminToken,
    types: ['presence', 'metrics', 'gradient', 'ota'],
    onEvent: (e) => {
      if (e.event === 'gradient') {
        const { deviceId, step, layer, updatedCount } = (e.data ?? {}) as Record<string, unknown>;
        if (typeof deviceId === 'string' && typeof step === 'number' && typeof layer === 'number')
          gradients.add({
            deviceId,
            step,
            layer,
            updatedCount: typeof updatedCount === 'number' ? updatedCount : 0,
          });
        return;
      }
      const line = describeStreamEvent(e, samplesSeen);
      if (line) out(line);
    },
  });

  // The cloud's event log (in process): what commands did on each device.
  let cursor: string | undefined;
  let lastId = 0;
  const pollEvents = () => {
    if (!site.cloudRunning) return;
    const events = site.cloud.cloud.store.events;
    for (;;) {
      const page = events.list({ limit: 200, cursor, gatewayId: site.gatewayId });
      for (const ev of page.items) {
        if (ev.id <= lastId) continue;
        lastId = ev.id;
        if (!EVENT_KINDS.has(ev.kind)) continue;
        const who = ev.deviceId ?? 'gateway';
        if (ev.kind === 'command.result') out(`command   ${describeCommandResult(ev.deviceId, ev.message)}`);
        else if (ev.kind.endsWith('.error'))
          out(`error     ${who} sent ERROR ${errorName(ev.data)}: ${ev.message}`);
        else if (ev.kind.endsWith('.log')) out(`log       ${who}: ${ev.message}`);
        else out(`session   ${ev.message}`);
      }
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
  };
  // Skip what happened before this watch (earlier runs on the same data directory).
  for (;;) {
    const page = site.cloud.cloud.store.events.list({ limit: 500, cursor, gatewayId: site.gatewayId });
    for (const ev of page.items) lastId = Math.max(lastId, ev.id);
    if (page.nextCursor === null) break;
    cursor = page.nextCursor;
  }
  const eventsTimer = setInterval(pollEvents, 500);

  const summary = async () => {
    try {
      const now = Date.now();
      const mine = new Set(site.deviceIds);
      const devices = (await site.devices()).filter((d) => mine.has(d.id));
      const parts = devices.map((d) => {
        const ago =
          d.lastSeenMs === null
            ? 'never seen'
            : `heartbeat ${((now - d.lastSeenMs) / 1000).toFixed(1)} s ago`;
        return `${d.id} ${d.online ? 'online' : 'offline'} (${ago})`;
      });
      out(`devices   ${parts.join(' | ')}`);
    } catch {
      // the cloud is restarting: next time
    }
  };
  const summaryTimer = setInterval(() => void summary(), o.summaryEveryMs ?? 10_000);
  return {
    close() {
      clearInterval(eventsTimer);
      clearInterval(summaryTimer);
      stream.close();
      gradients.flushAll();
    },
  };
}

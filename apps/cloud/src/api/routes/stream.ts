/**
 * `/v1/stream`: server-sent events of what ingestion commits: `presence` (a gateway or device going online
 * or offline; once per change), `metrics`, `gradient`, and OTA
 * progress `ota` (campaign and execution changes, apps/cloud/src/ota) and `job` (cloud jobs: queued,
 * progress lines, end; apps/cloud/src/jobs). A comment
 * line every heartbeat period keeps proxies from closing an idle stream. A client that falls too far
 * behind is sent `event: overflow` and disconnected (it reconnects and re-reads the gaps from the lists).
 */
import { streamSSE } from 'hono/streaming';
import type { LiveEvent } from '../../store/index.js';
import { type Route, route } from '../route.js';
import { object, optional, string } from '../validate/index.js';
import { id } from './common.js';

const TYPES = ['presence', 'metrics', 'gradient', 'ota', 'job'] as const;
const MAX_QUEUE = 1000;
const DEFAULT_HEARTBEAT_MS = 15_000;

interface Filter {
  types: ReadonlySet<string>;
  sessionId?: string | undefined;
  deviceId?: string | undefined;
  gatewayId?: string | undefined;
  jobId?: string | undefined;
}

function matches(e: LiveEvent, f: Filter): boolean {
  if (!f.types.has(e.type) || e.type === 'block-request') return false;
  const rec = e.type === 'metrics' ? e.point : e.type === 'gradient' ? e.update : e;
  if (f.gatewayId !== undefined && !('gatewayId' in rec && rec.gatewayId === f.gatewayId)) return false;
  if (f.deviceId !== undefined && !('deviceId' in rec && rec.deviceId === f.deviceId)) return false;
  if (f.sessionId !== undefined && !('sessionId' in rec && rec.sessionId === f.sessionId)) return false;
  if (f.jobId !== undefined && !(e.type === 'job' && e.jobId === f.jobId)) return false;
  return true;
}

function payload(e: LiveEvent): unknown {
  if (e.type === 'metrics') return e.point;
  if (e.type === 'gradient') return e.update;
  const { type: _t, ...rest } = e;
  return rest;
}

const typeList = string({
  pattern: /^(presence|metrics|gradient|ota|job)(,(presence|metrics|gradient|ota|job))*$/,
});

export const streamRoutes: Route[] = [
  route({
    method: 'get',
    path: '/v1/stream',
    summary:
      'Live events (SSE): presence, metrics, gradient, ota, job; filter by session, device, gateway, job, types',
    tag: 'stream',
    access: 'read',
    queryToken: true,
    query: object({
      types: optional(typeList),
      sessionId: optional(id()),
      deviceId: optional(id()),
      gatewayId: optional(id()),
      jobId: optional(id()),
      access_token: optional(string({ max: 128 })),
    }),
    response: {
      status: 200,
      description: `events named ${TYPES.join(', ')}; data is the JSON record`,
      contentType: 'text/event-stream',
    },
    handler: ({ query, deps, c }) => {
      const filter: Filter = {
        types: new Set(query.types ? query.types.split(',') : TYPES),
        sessionId: query.sessionId,
        deviceId: query.deviceId,
        gatewayId: query.gatewayId,
        jobId: query.jobId,
      };
      return streamSSE(c, async (stream) => {
        const queue: LiveEvent[] = [];
        let wake: (() => void) | undefined;
        let overflow = false;
        const poke = () => {
          const w = wake;
          wake = undefined;
          w?.();
        };
        const unsubscribe = deps.bus.subscribe((e) => {
          if (!matches(e, filter)) return;
          if (queue.length >= MAX_QUEUE) overflow = true;
          else queue.push(e);
          poke();
        });
        const onShutdown = () => poke();
        deps.shutdown?.addEventListener('abort', onShutdown);
        stream.onAbort(poke);
        const heartbeat = setInterval(() => {
          void stream.write(': heartbeat\n\n').catch(() => {});
        }, deps.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
        const done = () => stream.aborted || stream.closed || deps.shutdown?.aborted === true;
        try {
          await stream.write(': connected\n\n');
          while (!done()) {
            if (overflow) {
              await stream.writeSSE({ event: 'overflow', data: '{}' });
              break;
            }
            const e = queue.shift();
            if (e === undefined) {
              await new Promise<void>((resolve) => {
                wake = resolve;
              });
              continue;
            }
            await stream.writeSSE({ event: e.type, data: JSON.stringify(payload(e)) });
          }
        } finally {
          clearInterval(heartbeat);
          unsubscribe();
          deps.shutdown?.removeEventListener('abort', onShutdown);
        }
      });
    },
  }),
];
export const STREAM_EVENT_TYPES = TYPES;

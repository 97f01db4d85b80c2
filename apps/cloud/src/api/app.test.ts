import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveBus, Store } from '../store/index.js';
import { createApi } from './app.js';
import type { ApiDeps, GatewayCommand } from './deps.js';
import { ROUTES } from './routes/index.js';

interface Sent {
  gatewayId: string;
  command: GatewayCommand;
}

let store: Store;
let deps: ApiDeps;
let sent: Sent[];
let admin: string;
let reader: string;
let shutdown: AbortController;

beforeEach(() => {
  store = Store.open(':memory:');
  sent = [];
  shutdown = new AbortController();
  deps = {
    store,
    bus: new LiveBus(),
    commander: {
      send: async (gatewayId, command) => {
        sent.push({ gatewayId, command });
      },
    },
    mqtt: { url: 'mqtt://localhost:1883', wsUrl: 'ws://localhost:8081' },
    shutdown: shutdown.signal,
  };
  admin = store.tokens.create({ name: 'admin', scope: 'admin' }).secret;
  reader = store.tokens.create({ name: 'ro', scope: 'read' }).secret;
});
afterEach(() => {
  shutdown.abort();
  store.close();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  token: string | null = admin,
): Promise<Response> {
  const app = createApi(deps);
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  return app.request(path, init);
}

async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

describe('auth', () => {
  it('answers 401 JSON for a missing, malformed or unknown token', async () => {
    for (const token of [null, 'nope', `${admin}x`]) {
      const res = await call('GET', '/v1/fleets', undefined, token);
      expect(res.status).toBe(401);
      expect(await json(res)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
  });

  it('lets a read token read but not write, and stops a revoked token', async () => {
    expect((await call('GET', '/v1/fleets', undefined, reader)).status).toBe(200);
    const res = await call('POST', '/v1/fleets', { name: 'x' }, reader);
    expect(res.status).toBe(403);
    const id = store.tokens.list({ limit: 10 }).items.find((t) => t.scope === 'read')?.id ?? '';
    expect((await call('DELETE', `/v1/tokens/${id}`)).status).toBe(204);
    expect((await call('GET', '/v1/fleets', undefined, reader)).status).toBe(401);
  });

  it('serves /openapi.json without a token, describing every route', async () => {
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(
      await call('GET', '/openapi.json', undefined, null),
    );
    for (const r of ROUTES) expect(doc.paths[r.spec.path]?.[r.spec.method]).toBeDefined();
    // Every {param} of a path is declared as a path parameter.
    for (const [path, ops] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const op of Object.values(ops) as { parameters: { name: string; in: string }[] }[]) {
        const declared = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
        expect(declared).toEqual(names);
      }
    }
  });
});

describe('validation', () => {
  it('rejects bad bodies with 400 and the path of every problem', async () => {
    const res = await call('POST', '/v1/fleets', { name: '', extra: 1 });
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; details: { path: string }[] } }>(res);
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.details.map((d) => d.path).sort()).toEqual(['body.extra', 'body.name']);
  });

  it('rejects unparsable JSON, bad query values and bad path ids', async () => {
    expect(await json(await call('POST', '/v1/fleets', '{nope'))).toMatchObject({
      error: { code: 'BAD_JSON' },
    });
    expect((await call('GET', '/v1/fleets?limit=0')).status).toBe(400);
    expect((await call('GET', '/v1/fleets?limit=abc')).status).toBe(400);
    expect((await call('GET', '/v1/fleets?cursor=xyz')).status).toBe(400);
    expect((await call('GET', '/v1/gradient-updates/abc')).status).toBe(400);
    expect((await call('GET', '/v1/fleets/has%20space')).status).toBe(400);
  });

  it('answers 413 JSON for a body over the limit', async () => {
    const res = await call('POST', '/v1/fleets', { name: 'x', description: 'y'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(await json(res)).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('answers 404 JSON for unknown records and routes, 409 for conflicts', async () => {
    expect(await json(await call('GET', '/v1/fleets/flt_none'))).toMatchObject({
      error: { code: 'NOT_FOUND' },
    });
    expect((await call('GET', '/v1/nothing')).status).toBe(404);
    const f = await json<{ id: string }>(await call('POST', '/v1/fleets', { name: 'f' }));
    await call('POST', '/v1/gateways', { fleetId: f.id, name: 'g' });
    expect((await call('DELETE', `/v1/fleets/${f.id}`)).status).toBe(409);
  });
});

describe('resources', () => {
  it('pages through fleets with limit and cursor', async () => {
    for (let i = 0; i < 5; i++) await call('POST', '/v1/fleets', { name: `f${i}` });
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const page = await json<{ items: { name: string }[]; nextCursor: string | null }>(
        await call('GET', `/v1/fleets?limit=2${q}`),
      );
      names.push(...page.items.map((f) => f.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toEqual(['f0', 'f1', 'f2', 'f3', 'f4']);
  });

  it('issues gateway credentials once and stores only a hash', async () => {
    const f = await json<{ id: string }>(await call('POST', '/v1/fleets', { name: 'f' }));
    const res = await call('POST', '/v1/gateways', { fleetId: f.id, name: 'site' });
    expect(res.status).toBe(201);
    const out = await json<{
      gateway: { id: string };
      mqtt: { username: string; password: string; clientId: string };
    }>(res);
    expect(out.mqtt.username).toBe(out.gateway.id);
    expect(out.mqtt.clientId).toBe(`gw-${out.gateway.id}`);
    expect(store.gateways.checkPassword(out.gateway.id, out.mqtt.password)).toBe(true);
    const again = await json(await call('GET', `/v1/gateways/${out.gateway.id}`));
    expect(JSON.stringify(again)).not.toContain(out.mqtt.password);
  });

  it('creates, starts, reconfigures and stops a session through gateway commands', async () => {
    const f = store.fleets.create({ name: 'f' });
    const { gateway } = store.gateways.create({ fleetId: f.id, name: 'g' });
    store.devices.upsertFromHello({ gatewayId: gateway.id, deviceId: 'dev1', capabilities: {} });
    const created = await call('POST', '/v1/sessions', {
      gatewayId: gateway.id,
      deviceIds: ['dev1'],
      config: { lr: 0.01 },
      start: true,
    });
    expect(created.status).toBe(201);
    const s = await json<{ id: string; status: string }>(created);
    expect(s.status).toBe('starting');
    await call('PUT', `/v1/sessions/${s.id}/config`, { config: { lr: 0.02 } });
    const stopped = await json<{ status: string }>(await call('POST', `/v1/sessions/${s.id}/stop`));
    expect(stopped.status).toBe('stopping');
    expect(sent.map((x) => [x.gatewayId, x.command.op])).toEqual([
      [gateway.id, 'session.start'],
      [gateway.id, 'session.config'],
      [gateway.id, 'session.stop'],
    ]);
    const unknownDevice = await call('POST', '/v1/sessions', {
      gatewayId: gateway.id,
      deviceIds: ['x'],
      config: {},
    });
    expect(unknownDevice.status).toBe(404);
  });

  it('answers 502 when the gateway command cannot be sent, leaving the status alone', async () => {
    const f = store.fleets.create({ name: 'f' });
    const { gateway } = store.gateways.create({ fleetId: f.id, name: 'g' });
    store.devices.upsertFromHello({ gatewayId: gateway.id, deviceId: 'dev1', capabilities: {} });
    const s = store.sessions.create({ gatewayId: gateway.id, deviceIds: ['dev1'], config: {} });
    deps.commander = { send: async () => Promise.reject(new Error('broker down')) };
    const res = await call('POST', `/v1/sessions/${s.id}/start`);
    expect(res.status).toBe(502);
    expect(store.sessions.require(s.id).status).toBe('created');
  });

  it('pages a metrics series by step', async () => {
    const f = store.fleets.create({ name: 'f' });
    const { gateway } = store.gateways.create({ fleetId: f.id, name: 'g' });
    const s = store.sessions.create({ gatewayId: gateway.id, deviceIds: ['d'], config: {} });
    for (const step of [2, 0, 1]) {
      store.metrics.insert({
        sessionId: s.id,
        deviceId: 'd',
        gatewayId: gateway.id,
        step,
        tsMs: 0,
        values: {},
      });
    }
    const p1 = await json<{ items: { step: number }[]; nextCursor: string }>(
      await call('GET', `/v1/sessions/${s.id}/metrics?limit=2&deviceId=d`, undefined, reader),
    );
    const p2 = await json<{ items: { step: number }[]; nextCursor: null }>(
      await call('GET', `/v1/sessions/${s.id}/metrics?limit=2&deviceId=d&cursor=${p1.nextCursor}`),
    );
    expect([...p1.items, ...p2.items].map((p) => p.step)).toEqual([0, 1, 2]);
    expect(p2.nextCursor).toBeNull();
  });
});

describe('SSE stream', () => {
  it('delivers a metrics event matching the filter, after a connected comment', async () => {
    const res = await call(
      'GET',
      `/v1/stream?types=metrics&sessionId=s1&access_token=${reader}`,
      undefined,
      null,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const body = res.body?.getReader();
    if (!body) throw new Error('no body');
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await body.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        text += decoder.decode(value);
      }
    };
    await readUntil(': connected');
    const point = { sessionId: 's1', deviceId: 'd', gatewayId: 'g', step: 3, tsMs: 1, values: { loss: 0.5 } };
    deps.bus.emit({ type: 'metrics', point: { ...point, sessionId: 'other', id: 1 } });
    deps.bus.emit({ type: 'presence', gatewayId: 'g', online: true, tsMs: 1 });
    deps.bus.emit({ type: 'metrics', point: { ...point, id: 2 } });
    await readUntil('"id":2');
    const events = text.split('\n\n').filter((b) => b.startsWith('event:'));
    expect(events).toHaveLength(1);
    expect(events[0]).toContain('event: metrics');
    expect(JSON.parse(events[0]?.split('data: ')[1] ?? '')).toMatchObject({ step: 3, values: { loss: 0.5 } });
    await body.cancel();
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { artifactBytes, type OtaFixture, openOtaFixture } from '../../ota/testing.js';
import { createApi } from '../app.js';

let fx: OtaFixture;
let admin: string;
let app: ReturnType<typeof createApi>;

beforeEach(() => {
  fx = openOtaFixture();
  admin = fx.store.tokens.create({ name: 'admin', scope: 'admin' }).secret;
  app = createApi({
    store: fx.store,
    bus: fx.bus,
    commander: { send: async () => {} },
    mqtt: { url: 'mqtt://localhost:1883' },
    ota: fx.ota,
  });
});
afterEach(() => fx.close());

const auth = () => ({ authorization: `Bearer ${admin}` });
const upload = (bytes: Uint8Array, q = '') =>
  app.request(`/v1/models${q}`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/octet-stream' },
    body: bytes,
  });
const post = (path: string, body: unknown) =>
  app.request(path, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('OTA routes', () => {
  it('uploads artifacts, lists public keys, previews and creates a campaign', async () => {
    const keys = await app.request('/v1/keys'); // public: gateways fetch it without a token
    expect(keys.status).toBe(200);
    const { items } = (await keys.json()) as { items: { id: string; status: string; publicKey: string }[] };
    expect(items).toMatchObject([{ status: 'active' }]);
    expect(items[0]?.publicKey).toMatch(/^[0-9a-f]{64}$/);

    const unsigned = await upload(artifactBytes());
    expect(unsigned.status).toBe(422);
    expect(await unsigned.json()).toMatchObject({ error: { code: 'BAD_SIGNATURE' } });
    const tampered = artifactBytes();
    tampered[200] = (tampered[200] ?? 0) ^ 1;
    expect(await (await upload(tampered, '?sign=1')).json()).toMatchObject({
      error: { code: 'SHA_MISMATCH' },
    });

    const created = await upload(artifactBytes(), '?sign=1&cores=cortex-m7');
    expect(created.status).toBe(201);
    const model = (await created.json()) as { id: string; objectId: string; cores: string[] };
    expect(model.cores).toEqual(['cortex-m7']);
    const file = await app.request(`/v1/models/${model.id}/artifact`, { headers: auth() });
    expect(Buffer.from(await file.arrayBuffer()).length).toBeGreaterThan(artifactBytes().length);

    const gw = fx.gateway();
    fx.device('d0', gw);
    fx.device('d1', gw, { ramBytes: 16 });
    const body = { name: 'r1', modelId: model.id, target: { fleetId: fx.fleetId }, phases: [{ count: 1 }] };
    const plan = (await (await post('/v1/campaigns/preview', body)).json()) as {
      eligible: number;
      excluded: { deviceId: string; code: string }[];
    };
    expect(plan).toMatchObject({ eligible: 1, excluded: [{ deviceId: 'd1', code: 'RAM' }] });
    const res = await post('/v1/campaigns', body);
    expect(res.status).toBe(201);
    const c = (await res.json()) as { id: string; status: string; counts: Record<string, number> };
    expect(c).toMatchObject({ status: 'running', counts: { offered: 1 } });
    expect((await post(`/v1/campaigns/${c.id}/pause`, {})).status).toBe(200);
    const ex = await app.request(`/v1/campaigns/${c.id}/executions/d0`, { headers: auth() });
    expect(await ex.json()).toMatchObject({ state: 'offered', history: [{ to: 'offered', accepted: true }] });
    expect((await post('/v1/campaigns', { ...body, target: { deviceIds: ['d1'] } })).status).toBe(409);

    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/keys', '/v1/models', '/v1/campaigns', '/v1/campaigns/{id}/rollback']),
    );
    expect(JSON.stringify(doc.paths['/v1/models'])).toContain('application/octet-stream');
  });
});

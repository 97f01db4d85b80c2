import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRecord } from '../store/index.js';
import { phaseEnds } from './plan.js';
import { artifactBytes, exampleOpKinds, type OtaFixture, openOtaFixture } from './testing.js';

let fx: OtaFixture;
let model: ModelRecord;
let gw: string;
beforeEach(() => {
  fx = openOtaFixture();
  model = fx.ota.upload(artifactBytes({ modelVersion: 3 }), {
    sign: true,
    cores: ['cortex-m7', 'host'],
  }).model;
  gw = fx.gateway();
});
afterEach(() => fx.close());

describe('compatibility gate and dry run', () => {
  it('excludes each incompatible device with its reason and plans the rest', async () => {
    fx.device('ok-1', gw);
    fx.device('ok-2', gw, {}, ['lab']);
    fx.device('core', gw, { core: 'cortex-m0plus' });
    fx.device('abi', gw, { abiVersion: 0 });
    fx.device('slot', gw, { slotBytes: model.size - 1 });
    fx.device('ram', gw, { ramBytes: model.arenaInferBytes - 1 });
    fx.device('ops', gw, { opKinds: exampleOpKinds().slice(1) });
    fx.device('mmsg', gw, { maxMessageBytes: 1024 });
    fx.store.devices.upsertFromHello({ gatewayId: gw, deviceId: 'nohello', capabilities: {} });
    fx.device('installed', gw);
    fx.store.executions.setDeviceModel('installed', `${model.sha256}@3`, fx.clock.now);

    const plan = fx.ota.preview({
      name: 'v3',
      modelId: model.id,
      target: { fleetId: fx.fleetId },
      phases: [{ count: 1 }, { percent: 100 }],
    });
    expect(plan.eligible).toBe(2);
    expect(plan.phases.map((p) => p.devices.map((d) => d.deviceId))).toEqual([['ok-1'], ['ok-2']]);
    expect(plan.gateways).toEqual([gw]);
    const why = Object.fromEntries(plan.excluded.map((e) => [e.deviceId, e.code]));
    expect(why).toEqual({
      core: 'CORE',
      abi: 'ABI',
      slot: 'SLOT',
      ram: 'RAM',
      ops: 'OPS',
      mmsg: 'MESSAGE_SIZE',
      nohello: 'NO_HELLO',
      installed: 'INSTALLED',
    });
    expect(plan.excluded.find((e) => e.deviceId === 'ops')?.reason).toMatch(/CONV2D/);
    // A dry run stores nothing.
    expect(fx.store.campaigns.list({ limit: 5 }).items).toHaveLength(0);

    // Tags and explicit lists; unknown devices and devices busy in another campaign are excluded.
    const tagged = fx.ota.preview({ name: 't', modelId: model.id, target: { tags: ['lab'] } });
    expect(tagged.phases.flatMap((p) => p.devices.map((d) => d.deviceId))).toEqual(['ok-2']);
    await fx.ota.create({ name: 'first', modelId: model.id, target: { deviceIds: ['ok-1'] } });
    const listed = fx.ota.preview({
      name: 'l',
      modelId: model.id,
      target: { deviceIds: ['ok-1', 'ok-2', 'ghost'] },
    });
    expect(listed.excluded.map((e) => [e.deviceId, e.code])).toEqual([
      ['ghost', 'UNKNOWN_DEVICE'],
      ['ok-1', 'BUSY'],
    ]);
    await expect(
      fx.ota.create({ name: 'none', modelId: model.id, target: { deviceIds: ['core'] } }),
    ).rejects.toMatchObject({ code: 'NO_ELIGIBLE_DEVICES' });
  });

  it('a HELLO naming the model by its §5.8 digest (§4.2.1) marks the device INSTALLED; the file hash does not', () => {
    fx.device('hello-digest', gw);
    fx.device('hello-file', gw);
    fx.device('older', gw);
    const caps = fx.store.devices.get('hello-digest')?.capabilities ?? {};
    // what HELLO ingestion records: `<msha hex>@<mver>` (broker/ingest/apply.ts)
    const hello = (deviceId: string, model: string) =>
      fx.store.devices.upsertFromHello({ gatewayId: gw, deviceId, capabilities: caps, currentModel: model });
    hello('hello-digest', `${model.sha256}@3`);
    hello('hello-file', `${model.objectId}@3`);
    hello('older', `${model.sha256.slice(0, 60)}ffff@3`);
    const plan = fx.ota.preview({ name: 'again', modelId: model.id, target: { fleetId: fx.fleetId } });
    expect(plan.excluded.map((e) => [e.deviceId, e.code])).toEqual([['hello-digest', 'INSTALLED']]);
    expect(plan.phases.flatMap((p) => p.devices.map((d) => d.deviceId)).sort()).toEqual([
      'hello-file',
      'older',
    ]);
  });

  it('splits phases cumulatively and adds a final phase when they fall short', () => {
    const spec = (p: { count?: number; percent?: number }) => ({ ...p, successPercent: 100, soakMs: 0 });
    expect(phaseEnds([spec({ count: 1 }), spec({ percent: 50 })], 10).ends).toEqual([1, 5, 10]);
    expect(phaseEnds([spec({ percent: 10 }), spec({ percent: 100 })], 25).ends).toEqual([3, 25]);
    expect(phaseEnds([spec({ count: 50 })], 4).ends).toEqual([4]);
  });
});

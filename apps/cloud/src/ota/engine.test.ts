import type { OtaStateName } from '@tinyfleet/protocol/messages';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelRecord } from '../store/index.js';
import { applyOtaCommandResult, applyOtaStatus } from './ingest.js';
import type { CampaignInput } from './plan.js';
import { artifactBytes, type OtaFixture, openOtaFixture, otaStatus } from './testing.js';

let fx: OtaFixture;
let model: ModelRecord;
let gw: string;
let seq = 0;

beforeEach(() => {
  fx = openOtaFixture();
  model = fx.ota.upload(artifactBytes({ modelVersion: 2 }), { sign: true }).model;
  gw = fx.gateway();
  for (let i = 0; i < 6; i++) fx.device(`d${i}`, gw);
});
afterEach(() => fx.close());

/** The device reports an OTA state (relayed OTA_STATUS, ingested as broker/ingest/apply.ts does). */
function report(dev: string, state: OtaStateName, extra: Parameters<typeof otaStatus>[3] = {}) {
  const m = otaStatus(state, model.sha256, ++seq, extra);
  fx.ota.engine.emit(
    fx.store.transaction(() => applyOtaStatus(fx.store, { gatewayId: gw, deviceId: dev }, m, fx.clock.now)),
  );
}
const succeed = (dev: string) => {
  report(dev, 'RECEIVING', { blocks: 1, have: new Uint8Array([1]) });
  report(dev, 'VERIFIED');
  report(dev, 'TEST_BOOTING');
  report(dev, 'CONFIRMED', { modelVersion: 2 });
};
const state = (c: string, dev: string) => fx.store.executions.get(c, dev)?.state;
const states = (c: string) =>
  Object.fromEntries(
    fx.store.executions.list({ campaignId: c, limit: 100 }).items.map((e) => [e.deviceId, e.state]),
  );
const input = (over: Partial<CampaignInput> = {}): CampaignInput => ({
  name: 'v2',
  modelId: model.id,
  target: { fleetId: fx.fleetId },
  ...over,
});

describe('campaign engine', () => {
  it('advances a phase when its success threshold is met and the soak time has passed', async () => {
    const { campaign: c } = await fx.ota.create(
      input({ phases: [{ count: 2, successPercent: 50, soakMs: 60_000 }, { percent: 100 }] }),
    );
    expect(fx.sent).toHaveLength(1);
    expect(fx.sent[0]?.gatewayId).toBe(gw);
    expect(fx.sent[0]?.cmd).toMatchObject({ deviceIds: ['d0', 'd1'], model: { objectId: model.objectId } });
    expect(states(c.id)).toMatchObject({ d0: 'offered', d1: 'offered', d2: 'queued' });

    report('d0', 'RECEIVING', { blocks: 2, have: new Uint8Array([1]) });
    expect(fx.store.executions.get(c.id, 'd0')).toMatchObject({
      state: 'downloading',
      progress: { have: 1, nb: 2 },
    });
    succeed('d0');
    await fx.ota.engine.tick();
    expect(fx.store.campaigns.require(c.id)).toMatchObject({ phase: 0, phaseMetMs: fx.clock.now });
    fx.clock.now += 59_999;
    await fx.ota.engine.tick();
    expect(fx.sent).toHaveLength(1); // still soaking
    fx.clock.now += 1;
    await fx.ota.engine.tick();
    expect(fx.store.campaigns.require(c.id).phase).toBe(1);
    expect(fx.sent[1]?.cmd.deviceIds).toEqual(['d2', 'd3', 'd4', 'd5']);

    for (const d of ['d1', 'd2', 'd3', 'd4', 'd5']) succeed(d);
    await fx.ota.engine.tick();
    expect(fx.store.campaigns.require(c.id)).toMatchObject({ status: 'succeeded' });
    expect(fx.store.devices.get('d3')?.currentModel).toBe(`${model.sha256}@2`);
    const kinds = fx.live.filter((e) => e.type === 'ota').map((e) => (e.type === 'ota' ? e.state : ''));
    expect(kinds).toContain('succeeded');
    expect(fx.store.executions.history(c.id, 'd0').map((t) => t.to)).toEqual([
      'offered',
      'downloading',
      'flashing',
      'test-booting',
      'succeeded',
    ]);
  });

  it('aborts when failures pass the threshold: queued executions are canceled', async () => {
    const { campaign: c } = await fx.ota.create(
      input({ phases: [{ count: 4 }, { percent: 100 }], abort: { minExecuted: 2, failurePercent: 50 } }),
    );
    report('d0', 'FAILED');
    await fx.ota.engine.tick();
    expect(fx.store.campaigns.require(c.id).status).toBe('running'); // 1 executed < minExecuted
    report('d1', 'REVERTED');
    await fx.ota.engine.tick();
    const done = fx.store.campaigns.require(c.id);
    expect(done.status).toBe('aborted');
    expect(done.reason).toMatch(/failures of 2 executed/);
    expect(states(c.id)).toEqual({
      d0: 'failed',
      d1: 'reverted',
      d2: 'offered',
      d3: 'offered',
      d4: 'canceled',
      d5: 'canceled',
    });
    expect(fx.store.executions.get(c.id, 'd0')?.error).toBe('SHA_MISMATCH');
    // In-flight executions keep being recorded truthfully after the abort.
    succeed('d2');
    expect(state(c.id, 'd2')).toBe('succeeded');
    await fx.ota.engine.tick();
    expect(fx.sent).toHaveLength(1);
  });

  it('pauses, resumes and cancels', async () => {
    const { campaign: c } = await fx.ota.create(
      input({ phases: [{ count: 1 }, { count: 3 }, { percent: 100 }] }),
    );
    expect((await fx.ota.pause(c.id)).campaign.status).toBe('paused');
    succeed('d0');
    await fx.ota.engine.tick();
    expect(fx.store.campaigns.require(c.id).phase).toBe(0); // paused: no advance, no offers
    expect(fx.sent).toHaveLength(1);
    expect((await fx.ota.resume(c.id)).campaign.status).toBe('running');
    await fx.ota.engine.tick();
    expect(fx.store.campaigns.require(c.id).phase).toBe(1);
    expect(fx.sent[1]?.cmd.deviceIds).toEqual(['d1', 'd2']);
    const canceled = (await fx.ota.cancel(c.id)).campaign;
    expect(canceled.status).toBe('canceled');
    expect(states(c.id)).toMatchObject({ d1: 'offered', d3: 'canceled', d5: 'canceled' });
    expect((await fx.ota.cancel(c.id)).campaign.status).toBe('canceled');
    await expect(fx.ota.resume(c.id)).rejects.toMatchObject({ code: 'BAD_STATE' });
  });

  it('times out executions stuck in a state; a late final report corrects it', async () => {
    const { campaign: c } = await fx.ota.create(
      input({ target: { deviceIds: ['d0', 'd1'] }, timeoutsMs: { offered: 1000, downloading: 5000 } }),
    );
    report('d1', 'RECEIVING', { blocks: 1, have: new Uint8Array([0]) });
    fx.clock.now += 999;
    await fx.ota.engine.tick();
    expect(states(c.id)).toEqual({ d0: 'offered', d1: 'downloading' });
    fx.clock.now += 1;
    await fx.ota.engine.tick();
    expect(state(c.id, 'd0')).toBe('timed-out');
    expect(fx.store.executions.get(c.id, 'd0')?.error).toBe('TIMEOUT');
    fx.clock.now += 4000;
    await fx.ota.engine.tick();
    expect(state(c.id, 'd1')).toBe('timed-out');
    expect(fx.store.campaigns.require(c.id).status).toBe('aborted'); // 0 of 2 succeeded
    report('d1', 'CONFIRMED');
    expect(state(c.id, 'd1')).toBe('succeeded');
  });

  it('refuses and logs illegal transitions; ignores stale statuses', async () => {
    const { campaign: c } = await fx.ota.create(input({ phases: [{ count: 1 }, { percent: 100 }] }));
    report('d3', 'CONFIRMED'); // queued: never offered
    expect(state(c.id, 'd3')).toBe('queued');
    succeed('d0');
    report('d0', 'RECEIVING', { blocks: 1, have: new Uint8Array([0]) });
    expect(state(c.id, 'd0')).toBe('succeeded');
    const refused = fx.store.executions.history(c.id, 'd3').filter((t) => !t.accepted);
    expect(refused).toMatchObject([{ from: 'queued', to: 'succeeded', cause: 'OTA_STATUS CONFIRMED' }]);
    expect(fx.store.executions.history(c.id, 'd0').filter((t) => !t.accepted)).toMatchObject([
      { from: 'succeeded', to: 'downloading' },
    ]);
    expect(fx.store.events.list({ limit: 10, kind: 'ota.illegal' }).items).toHaveLength(2);

    // A status older than the newest applied one (by message id, §4.6.8) changes nothing.
    const old = otaStatus('FAILED', model.sha256, 1);
    fx.store.transaction(() =>
      applyOtaStatus(fx.store, { gatewayId: gw, deviceId: 'd0' }, old, fx.clock.now),
    );
    expect(state(c.id, 'd0')).toBe('succeeded');
    expect(fx.store.executions.history(c.id, 'd0').filter((t) => !t.accepted)).toHaveLength(1);
  });

  it('ends executions from the gateway command results', async () => {
    const { campaign: c } = await fx.ota.create(input({ target: { deviceIds: ['d0', 'd1'] } }));
    const cid = fx.sent[0]?.cmd.commandId ?? '';
    const result = (dev: string, ok: boolean) =>
      fx.store.transaction(() =>
        applyOtaCommandResult(
          fx.store,
          { gatewayId: gw },
          {
            type: 'GW_COMMAND_RESULT',
            id: new Uint8Array(16).fill(seq++),
            re: new Uint8Array(16),
            commandId: cid,
            deviceId: dev,
            ok,
            ...(!ok && { error: 0x1c, text: 'link down' }),
          },
          fx.clock.now,
        ),
      );
    expect(result('d0', true).handled).toBe(true);
    result('d1', false);
    expect(states(c.id)).toEqual({ d0: 'succeeded', d1: 'failed' });
    expect(fx.store.executions.get(c.id, 'd1')?.error).toMatch(/link down/);
  });

  it('resumes a campaign after a cloud restart on the same data dir', async () => {
    const { campaign: c } = await fx.ota.create(input({ phases: [{ count: 2 }, { percent: 100 }] }));
    succeed('d0');
    fx.restart();
    fx.clock.now += 1000;
    await fx.ota.engine.tick(); // d1 still in flight: phase 0 not met
    expect(fx.store.campaigns.require(c.id).phase).toBe(0);
    succeed('d1');
    await fx.ota.engine.tick();
    expect(fx.store.campaigns.require(c.id).phase).toBe(1);
    expect(fx.sent.map((s) => s.cmd.deviceIds)).toEqual([
      ['d0', 'd1'],
      ['d2', 'd3', 'd4', 'd5'],
    ]);
    for (const d of ['d2', 'd3', 'd4', 'd5']) succeed(d);
    await fx.ota.engine.tick();
    expect(fx.store.campaigns.require(c.id).status).toBe('succeeded');
  });

  it('rolls back to the previous version on the devices that took the new one', async () => {
    const v1 = fx.ota.upload(artifactBytes({ modelVersion: 1 }), { sign: true }).model;
    const { campaign: c } = await fx.ota.create(input({ target: { deviceIds: ['d0', 'd1', 'd2'] } }));
    succeed('d0');
    succeed('d1');
    report('d2', 'FAILED');
    const { campaign: rb } = await fx.ota.rollback(c.id, {});
    expect(rb).toMatchObject({ kind: 'rollback', rollbackOf: c.id, modelId: v1.id, status: 'running' });
    expect(fx.store.campaigns.require(c.id).status).toBe('canceled'); // a live campaign is canceled first
    expect(fx.sent.at(-1)?.cmd).toMatchObject({ deviceIds: ['d0', 'd1'], model: { objectId: v1.objectId } });
    await expect(fx.ota.rollback(rb.id, {})).rejects.toMatchObject({ code: 'NO_PREVIOUS_VERSION' });
  });
});

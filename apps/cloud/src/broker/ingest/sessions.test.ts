import { decodeMessage, deviceMessageId, type Message, randomMessageId } from '@tinyfleet/protocol/messages';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveBus, Store } from '../../store/index.js';
import { encode, hello } from '../testing.js';
import { Ingestor } from './ingestor.js';
import { deviceSeq, sessionOutcome } from './sessions.js';

let store: Store;
let ingestor: Ingestor;
let gw: string;

beforeEach(() => {
  store = Store.open(':memory:');
  ingestor = new Ingestor({ store, bus: new LiveBus(), decode: (b) => decodeMessage(b) });
  const fleet = store.fleets.create({ name: 'f' });
  gw = store.gateways.create({ fleetId: fleet.id, name: 'g' }).gateway.id;
});
afterEach(() => store.close());

type State = 'RUNNING' | 'STOPPED' | 'DONE' | 'FAILED';

/** Device `dev` says its session `sid` is in `state` (message `n` of boot `boot`). */
async function status(dev: string, sid: number, state: State, n: number, boot = 1): Promise<void> {
  const m = {
    type: 'TRAIN_STATUS',
    id: deviceMessageId(boot, n),
    sessionId: sid,
    state,
    step: n,
    samplesSeen: n,
    ...(state === 'FAILED' && { error: 8, text: 'loss not finite' }),
  } as Message;
  const r = await ingestor.accept(gw, `tf/v1/gw/${gw}/dev/${dev}/up/train-status`, encode(m));
  expect(r.status).toBe('stored');
}

async function result(cid: string, dev: string, ok: boolean): Promise<void> {
  const m = {
    type: 'GW_COMMAND_RESULT',
    id: randomMessageId(),
    re: randomMessageId(),
    commandId: cid,
    deviceId: dev,
    ok,
    ...(!ok && { error: 12, text: 'device d2 is not attached' }),
  } as Message;
  const r = await ingestor.accept(gw, `tf/v1/gw/${gw}/up/cmd-result`, encode(m));
  expect(r.status).toBe('stored');
}

function session(devices: string[]) {
  const s = store.sessions.create({ gatewayId: gw, deviceIds: devices, config: {} });
  store.sessions.setStatus(s.id, 'starting');
  return s;
}

const now = (id: string) => store.sessions.require(id);

describe('session status from its devices (PROTOCOL.md §4.4.5)', () => {
  it('is done only when every device is done, whatever order the reports arrive in', async () => {
    const s = session(['d1', 'd2', 'd3']);
    await status('d1', s.wireId, 'RUNNING', 1);
    expect(now(s.id).status).toBe('running');
    await status('d1', s.wireId, 'DONE', 50);
    await status('d2', s.wireId, 'DONE', 60);
    expect(now(s.id).status).toBe('running'); // d3 has not ended (nor reported)
    // d3's DONE arrives before its RUNNING (outbox replay, §2.5 item 5): the larger id wins.
    await status('d3', s.wireId, 'DONE', 70);
    await status('d3', s.wireId, 'RUNNING', 2);
    expect(now(s.id)).toMatchObject({ status: 'done', error: null });
    expect(now(s.id).stoppedMs).not.toBeNull();
  });

  it('a later boot of the device outranks a larger message counter of an earlier boot', async () => {
    const s = session(['d1']);
    await status('d1', s.wireId, 'FAILED', 900, 1);
    expect(now(s.id).status).toBe('failed');
    await status('d1', s.wireId, 'RUNNING', 3, 2); // restarted with the same sid after a reboot
    expect(now(s.id).status).toBe('running');
    await status('d1', s.wireId, 'DONE', 40, 2);
    expect(now(s.id).status).toBe('done');
    expect(deviceSeq(deviceMessageId(2, 3)) > deviceSeq(deviceMessageId(1, 900))).toBe(true);
  });

  it('partially completes, with the reason, when some devices failed and the others ended', async () => {
    const s = session(['d1', 'd2', 'd3']);
    await result(`train.start:${s.id}:aa`, 'd2', false);
    await status('d1', s.wireId, 'RUNNING', 1);
    await status('d3', s.wireId, 'RUNNING', 1);
    expect(now(s.id).status).toBe('running');
    await status('d1', s.wireId, 'DONE', 9);
    await status('d3', s.wireId, 'FAILED', 9);
    const ended = now(s.id);
    expect(ended.status).toBe('partial');
    expect(ended.error).toContain('1 of 3 devices ended without error');
    expect(ended.error).toContain('d2: train.start failed: device d2 is not attached (error 12)');
    expect(ended.error).toContain('d3: loss not finite (error 8)');
  });

  it('fails when all devices failed; is stopped when stopped without failures', async () => {
    const a = session(['d1', 'd2']);
    await result(`train.start:${a.id}:aa`, 'd1', false);
    expect(now(a.id).status).toBe('starting');
    await result(`train.start:${a.id}:ab`, 'd2', false);
    expect(now(a.id).status).toBe('failed');

    const b = session(['d1', 'd2']);
    await status('d1', b.wireId, 'RUNNING', 20);
    await status('d2', b.wireId, 'RUNNING', 20);
    store.sessions.setStatus(b.id, 'stopping');
    await result(`train.stop:${b.id}:ac`, 'd1', true);
    await status('d1', b.wireId, 'STOPPED', 30);
    expect(now(b.id).status).toBe('stopping');
    await status('d2', b.wireId, 'DONE', 31);
    expect(now(b.id)).toMatchObject({ status: 'stopped', error: null });
  });

  it('a failed train.config leaves the session running', async () => {
    const s = session(['d1']);
    await status('d1', s.wireId, 'RUNNING', 1);
    await result(`train.config:${s.id}:aa`, 'd1', false);
    expect(now(s.id).status).toBe('running');
  });

  it('an adopted session (started at the gateway) learns its devices from their reports', async () => {
    await status('d1', 0x8000_0001, 'RUNNING', 1);
    await status('d2', 0x8000_0001, 'RUNNING', 1);
    const s = store.sessions.byWireId(gw, 0x8000_0001);
    expect(s?.deviceIds).toEqual(['d1', 'd2']);
    await status('d1', 0x8000_0001, 'DONE', 5);
    expect(store.sessions.byWireId(gw, 0x8000_0001)?.status).toBe('running');
    await status('d2', 0x8000_0001, 'DONE', 5);
    expect(store.sessions.byWireId(gw, 0x8000_0001)?.status).toBe('done');
  });

  it("a device's reboot fails its part of a running session, with the reason", async () => {
    const s = session(['d1', 'd2']);
    await status('d1', s.wireId, 'RUNNING', 1);
    await status('d2', s.wireId, 'RUNNING', 1);
    await status('d2', s.wireId, 'DONE', 30);
    const reboot = async (dev: string, boot: number) => {
      const m = { ...hello(dev), id: deviceMessageId(boot, 0), bootCounter: boot } as Message;
      expect((await ingestor.accept(gw, `tf/v1/gw/${gw}/dev/${dev}/up/hello`, encode(m))).status).toBe(
        'stored',
      );
    };
    await reboot('d2', 2); // d2 had ended: nothing changes
    await reboot('d1', 1); // the same boot (a new link session): nothing changes
    expect(now(s.id).status).toBe('running');
    await reboot('d1', 2);
    expect(now(s.id).status).toBe('partial');
    expect(now(s.id).error).toContain(
      'd1: the device rebooted (boot 2) and lost the session (its last status: RUNNING at step 1)',
    );
    // d1's DONE, sent before the reboot and delivered late, still counts.
    await status('d1', s.wireId, 'DONE', 40);
    expect(now(s.id)).toMatchObject({ status: 'done', error: null });
  });

  it('sessionOutcome: undefined until every device has ended', () => {
    const r = (deviceId: string, state: State, seq: string) => ({ deviceId, state, seq });
    expect(sessionOutcome(['a', 'b'], [r('a', 'DONE', '1')])).toBeUndefined();
    expect(sessionOutcome(['a'], [r('a', 'DONE', '1'), r('a', 'RUNNING', '2')])).toBeUndefined();
    expect(sessionOutcome(['a', 'b'], [r('a', 'DONE', '1'), r('b', 'STOPPED', '1')])).toEqual({
      status: 'stopped',
      error: null,
    });
  });
});

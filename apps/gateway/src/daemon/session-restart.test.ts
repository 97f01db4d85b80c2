/**
 * A gateway restart in the middle of a training session (PROTOCOL.md §4.4.8): the daemon stops while it
 * streams samples, starts again in the same data directory, finds the session in gateway.db, asks the
 * device where it is (TRAIN_CONFIG with only `sid`) and streams on from the device's count, in the
 * source's order. A device that rebooted meanwhile lost the session: the gateway reports it failed.
 * (The kill -9 of a real daemon with virtual MCUs is test/system/training.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '@tinyfleet/protocol/constants';
import { decodeMessage, type GwCommand, type Message, randomMessageId } from '@tinyfleet/protocol/messages';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.js';
import { memoryLogger } from '../log/index.js';
import { TestDeviceDouble } from '../testing/device-double.js';
import { MemoryPorts } from '../transport/index.js';
import { Gateway } from './gateway.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-gw-session-restart-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const SID = 7;
const config = () =>
  parseConfig({
    gatewayId: 'gw_resume',
    dataDir: join(dir, 'gw'),
    mqtt: { url: 'mqtt://127.0.0.1:1', password: 'x', reconnect: { baseMs: 1000, maxMs: 1000 } },
    ports: ['/dev/devA'],
    status: null,
    sampleRate: 0,
    sources: [
      { name: 'tiny', shape: [4, 4, 1], classes: 4, size: 64 },
      { name: 'feed', type: 'live', shape: [2, 2, 1], classes: 3, input: { scale: 1, zeroPoint: 0 } },
    ],
  });

function start(args: Record<string, number | string>): GwCommand {
  return {
    type: 'GW_COMMAND',
    id: randomMessageId(),
    ts: Date.now(),
    commandId: `train.start:ses_test:${SID}`,
    command: 'train.start',
    targets: ['devA'],
    args: { sid: SID, src: 'tiny', ...args },
  };
}

/** Rows of a table of the gateway's SQLite file, read beside the running daemon (WAL). */
function rows<T>(sql: string): T[] {
  const db = new Database(join(dir, 'gw', 'gateway.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

const batches = (d: TestDeviceDouble) =>
  d.received.filter((m): m is Extract<Message, { type: 'SAMPLE_BATCH' }> => m.type === 'SAMPLE_BATCH');

/** A session streaming to devA; the daemon stops once the device holds `atLeast` samples. */
async function stopMidStream(atLeast: number) {
  let ports = new MemoryPorts();
  const dev = new TestDeviceDouble(ports.plug('/dev/devA').device, { deviceId: 'devA', sbuf: 8, batch: 4 });
  const deps = () => ({ open: ports.open, log: memoryLogger('error') });
  const first = await Gateway.start(config(), deps());
  await until(() => first.devices.get('devA') !== undefined);
  first.commands.handle(start({ smax: 10_000 }));
  await until(() => dev.samples.length >= atLeast);
  await first.stop();
  expect(rows<{ sid: number }>('SELECT sid FROM train_sessions')).toEqual([{ sid: SID }]);
  const replug = () => {
    ports = new MemoryPorts();
    return ports.plug('/dev/devA').device;
  };
  return { dev, replug, deps };
}

describe('gateway restart mid training session', () => {
  it('resumes the stream from the device count, in the source order, counting no sample twice', async () => {
    const { dev, replug, deps } = await stopMidStream(40);
    const had = dev.samples.length;
    const sentBefore = batches(dev).length;
    dev.replug(replug()); // same device, same boot counter, session still running
    const second = await Gateway.start(config(), deps());
    try {
      await until(() => dev.samples.length >= had + 100);
      // It asked the device where it is (§4.4.8), then went on from there.
      const asked = dev.received.filter((m) => m.type === 'TRAIN_CONFIG');
      expect(asked).toHaveLength(1);
      expect(Object.keys(asked[0] ?? {}).sort()).toEqual(['id', 'sessionId', 'ts', 'type']);
      const after = batches(dev).slice(sentBefore);
      expect(after[0]?.firstSeq).toBe(had);
      expect(
        after.every((b, i) => i === 0 || b.firstSeq === (after[i - 1]?.firstSeq ?? 0) + b.shape[0]!),
      ).toBe(true);
      // Every label in the order of a fresh feed of the same source: nothing skipped, nothing repeated.
      const feed = await second.sources.get('tiny')!.open({});
      const n = dev.samples.length;
      expect(dev.samples).toEqual(Array.from({ length: n }, (_, i) => feed.sample(i).y));
      feed.close();
      expect(second.commands.sessions).toMatchObject([{ device: 'devA', sid: SID, source: 'tiny' }]);
      expect(dev.bootCounter).toBe(1);
    } finally {
      await second.stop();
      await dev.close();
    }
  });

  it('resumes a live-source session from the device count with the samples posted after the restart', async () => {
    let ports = new MemoryPorts();
    const dev = new TestDeviceDouble(ports.plug('/dev/devA').device, { deviceId: 'devA', sbuf: 8, batch: 4 });
    const deps = () => ({ open: ports.open, log: memoryLogger('error') });
    const live = (g: Gateway) => g.sources.get('feed') as unknown as { push(s: unknown[]): unknown };
    const posted = (n: number, label: number) =>
      Array.from({ length: n }, () => ({ x: Uint8Array.of(1, 2, 3, 4), y: label }));
    const first = await Gateway.start(config(), deps());
    await until(() => first.devices.get('devA') !== undefined);
    first.commands.handle(start({ src: 'feed', smax: 10_000 }));
    await until(() => first.commands.sessions.length === 1);
    live(first).push(posted(6, 1));
    await until(() => dev.samples.length === 6);
    await first.stop();
    dev.replug(
      (() => {
        ports = new MemoryPorts();
        return ports.plug('/dev/devA').device;
      })(),
    );
    const second = await Gateway.start(config(), deps());
    try {
      await until(() => second.commands.sessions.some((x) => x.source === 'feed' && x.error === undefined));
      await until(() => dev.received.some((m) => m.type === 'TRAIN_CONFIG'));
      live(second).push(posted(5, 2));
      await until(() => dev.samples.length === 11);
      // Sequence numbers go on from the device's count; the labels are those posted after the restart.
      const after = batches(dev).filter((b) => b.firstSeq >= 6);
      expect(after[0]?.firstSeq).toBe(6);
      expect(dev.samples).toEqual([...Array(6).fill(1), ...Array(5).fill(2)]);
      expect(second.commands.sessions).toMatchObject([{ device: 'devA', sid: SID, source: 'feed' }]);
      expect(second.commands.sessions[0]?.error).toBeUndefined();
    } finally {
      await second.stop();
      await dev.close();
    }
  });

  it('reports a device that rebooted meanwhile as failed, with the reason, and streams no more', async () => {
    const { dev, replug, deps } = await stopMidStream(20);
    dev.reboot(replug()); // a power cycle while the gateway was away: the session is gone
    const sentBefore = batches(dev).length;
    const second = await Gateway.start(config(), deps());
    try {
      await until(() => second.commands.sessions.some((s) => s.error !== undefined));
      const [failed] = second.commands.sessions;
      expect(failed).toMatchObject({ device: 'devA', sid: SID });
      expect(failed?.error).toMatch(/rebooted \(boot 1 -> 2\) and lost the session/);
      expect(rows('SELECT * FROM train_sessions')).toEqual([]);
      // The cloud learns it from a failed result of the command that started the session (§4.7.3).
      const results = rows<{ payload: Buffer }>('SELECT payload FROM outbox')
        .map((r) => decodeMessage(new Uint8Array(r.payload)))
        .filter((m) => m.type === 'GW_COMMAND_RESULT' && m.commandId === `train.start:ses_test:${SID}`);
      expect(results.map((m) => m.type === 'GW_COMMAND_RESULT' && [m.ok, m.error, m.deviceId])).toEqual([
        [true, undefined, 'devA'],
        [false, ErrorCode.BAD_STATE, 'devA'],
      ]);
      expect(batches(dev).length).toBe(sentBefore);
      expect(dev.received.filter((m) => m.type === 'TRAIN_CONFIG')).toEqual([]);
    } finally {
      await second.stop();
      await dev.close();
    }
  });
});

/**
 * No training report is lost when the gateway dies (PROTOCOL.md §3.6.4 item 2, §4.4.8): the virtual
 * MCU trains with TRAIN_METRICS and GRAD_UPDATE every step; the test's gateway stops acknowledging
 * (it still receives and relays, writes nothing), a few messages later it dies (drops what the line
 * brings) while the reports stream; then a restarted gateway (a new
 * LinkEndpoint: new epoch, so a link peer reset for the device) takes the line, answers the new
 * HELLO, and collects. Across both gateways (the cloud's view), after dedup by id: every report the
 * session owes (per step a TRAIN_METRICS and the GRAD_UPDATE rows of each layer, then DONE) arrives
 * exactly once (bit-exactness with the reference is train.test.ts's subject); any id received
 * twice carried identical bytes; the device's message counters are contiguous (nothing skipped or
 * lost) and the reports' counters follow production order. Some reports are seen twice (delivered,
 * acknowledgement lost) and some only after the restart (queued on the device when the gateway died).
 * Again with the smallest replay buffer (one report): no report is made while one waits for its
 * acknowledgement (backpressure), none is lost.
 * Skips, naming the Debian package, when a tool is missing.
 */

import { join } from 'node:path';
import { quadrantSplit, quantized, tinyCnn } from '@tinyfleet/cloud/fqt/testing';
import { writeQuantizedArtifact } from '@tinyfleet/cloud/quant';
import { encodeMessage, type Message, randomMessageId } from '@tinyfleet/protocol/messages';
import { afterEach, describe, expect, it } from 'vitest';
import { cmakeBuild, missingTool } from './toolchain.js';
import { acceptHello, Gateway, hostVmcu, type Msg, sameBytes, type Vmcu, WAIT_MS, waitFor } from './vmcu.js';

// no periodic HEARTBEAT: every device message is accounted for
const REPLAY_HELLO = { name: 'replay test', heartbeatMs: 3_600_000 };

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const f32 = Math.fround;
const data = quadrantSplit(60, 5);
const Q = quantized(tinyCnn(), quadrantSplit(200, 1));
const LAYERS = [2, 4];
const ART = writeQuantizedArtifact(Q, {
  modelVersion: 3,
  trainable: LAYERS,
  training: { lambdaMin: f32(0.5), lambdaMax: f32(0.5), learningRate: f32(0.005), batchSize: 1 },
});
const IN = Q.values.get(Q.input)!;
const SID = 11;
const STEPS = 40;
/** The gateway stops acknowledging once it has received the TRAIN_METRICS of this step. */
const MUTE_AT_STEP = 2;
/** ... and dies (drops whatever the line brings) once it has received this many more messages. */
const RELAYED_AFTER_MUTE = 4;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** §4.1.5: a device id is boot (u32 LE) || counter (u32 LE). */
const counterOf = (id: Uint8Array): number => Buffer.from(id).readUInt32LE(4);
const bootOf = (id: Uint8Array): number => Buffer.from(id).readUInt32LE(0);

/** `oneReport`: the device's replay buffer holds one report (TF_AGENT_REPLAY_BYTES 1,032). */
async function replayContract(dev: Vmcu, oneReport: boolean): Promise<void> {
  const gw = new Gateway(dev.path);
  cleanups.push(() => gw.close());
  const seen = () => `${gw.summary()}\ndevice log:\n${dev.log()}`;
  await acceptHello(gw, dev, REPLAY_HELLO);
  await waitFor(() => gw.messages.find((m) => m.type === 'HEARTBEAT'), WAIT_MS, 'HEARTBEAT', seen);

  const startId = randomMessageId();
  gw.ep.send(
    encodeMessage({
      type: 'TRAIN_START',
      id: startId,
      sessionId: SID,
      epsMode: 'LOSS_RATIO',
      emaErrors: f32(0.25),
      emaWeights: 1,
      gradEvery: 1,
      gradKind: 'DELTA',
      maxSteps: STEPS,
    } as Message),
  );
  const running = await waitFor(() => gw.reply(startId), WAIT_MS, 'TRAIN_STATUS RUNNING', seen);
  expect(running.state, seen()).toBe('RUNNING');
  const credit = await waitFor(
    () => gw.messages.find((m) => m.type === 'SAMPLE_CREDIT') as Msg | undefined,
    WAIT_MS,
    'SAMPLE_CREDIT',
    seen,
  );
  // every sample in one batch, inside the first grant: the device needs nothing more from the gateway
  expect((credit.nextSeq as number) + (credit.credit as number)).toBeGreaterThanOrEqual(STEPS);
  const idx = Array.from({ length: STEPS }, (_, i) => i);
  let afterMute = -1;
  gw.onMessage = (m) => {
    if (afterMute < 0 && m.type === 'TRAIN_METRICS' && (m as Msg).step === MUTE_AT_STEP) {
      gw.muted = true; // the gateway hangs: it relays what it receives but acknowledges nothing
      afterMute = 0;
    } else if (afterMute >= 0 && ++afterMute === RELAYED_AFTER_MUTE) {
      gw.deaf = true; // and dies: whatever is on the line from now on is lost
      gw.onMessage = undefined;
    }
  };
  gw.ep.send(
    encodeMessage({
      type: 'SAMPLE_BATCH',
      id: randomMessageId(),
      sessionId: SID,
      firstSeq: 0,
      shape: [STEPS, ...IN.shape],
      x: Uint8Array.from(idx.flatMap((i) => [...data.getRaw(i)])),
      inputScale: IN.q.scale,
      inputZeroPoint: IN.q.zeroPoint,
      labels: Uint8Array.from(idx, (i) => data.get(i).y),
    } as Message),
  );
  await waitFor(() => (gw.muted ? true : undefined), WAIT_MS, `TRAIN_METRICS step ${MUTE_AT_STEP}`, seen);
  // a device whose replay buffer is full makes no more reports: then the gateway dies after a while
  const deadline = Date.now() + 500;
  await waitFor(() => (gw.deaf || Date.now() > deadline ? true : undefined), WAIT_MS, 'more messages', seen);
  gw.deaf = true;
  gw.onMessage = undefined;
  // the device's frames go unacknowledged; give it time to fill its window and queue (not asserted:
  // any moment between the gateway's death and its restart must lose nothing)
  await new Promise((r) => setTimeout(r, 300));
  const beforeRestart = new Set(gw.rawMessages.map((r) => hex(r)));
  const countBefore = gw.messages.length;

  gw.restart(); // a restarted gateway: new link epoch, HELLO -> peer reset on the device
  const hello2 = await acceptHello(gw, dev, { ...REPLAY_HELLO, after: countBefore });

  // what the session owes: per step one TRAIN_METRICS and, per trained layer, GRAD_UPDATEs whose
  // disjoint `idx` cover k = floor(0.5 N) structures (lmin = lmax = 0.5, §4.4.1 step 3), then DONE
  // dedup by id: the cloud's view (§4.1.5 item 5, §2.5)
  const unique = (): Map<string, { msg: Msg; raw: Uint8Array; times: number }> => {
    const byId = new Map<string, { msg: Msg; raw: Uint8Array; times: number }>();
    gw.messages.forEach((m, i) => {
      const key = hex(m.id as Uint8Array);
      const had = byId.get(key);
      if (had) had.times++;
      else byId.set(key, { msg: m as Msg, raw: gw.rawMessages[i]!, times: 1 });
    });
    return byId;
  };
  const ofType = (t: string) =>
    [...unique().values()].filter((e) => e.msg.type === t && e.msg.sessionId === SID).map((e) => e.msg);
  const rows = (step: number, layer: number): number[] =>
    ofType('GRAD_UPDATE')
      .filter((g) => g.step === step && g.layer === layer)
      .flatMap((g) => [...(g.indices as Uint16Array)]);
  const owed = (step: number, layer: number): number | undefined => {
    const g = ofType('GRAD_UPDATE').find((m) => m.step === step && m.layer === layer);
    return g === undefined ? undefined : Math.max(1, Math.floor(0.5 * (g.structures as number)));
  };
  const complete = (): boolean =>
    idx.every(
      (i) =>
        ofType('TRAIN_METRICS').some((m) => m.step === i + 1) &&
        LAYERS.every((l) => owed(i + 1, l) !== undefined && rows(i + 1, l).length >= owed(i + 1, l)!),
    ) && ofType('TRAIN_STATUS').some((m) => m.state === 'DONE');
  await waitFor(
    () => (complete() ? true : undefined),
    WAIT_MS,
    `${STEPS} TRAIN_METRICS, their GRAD_UPDATEs and TRAIN_STATUS DONE after dedup`,
    () =>
      `${seen()}\nmetrics steps: ${ofType('TRAIN_METRICS')
        .map((m) => m.step)
        .join(',')}\ngrads: ${ofType('GRAD_UPDATE').length}`,
  );
  // let anything still in flight arrive (e.g. a late duplicate): the device's queue drains, then idle
  await new Promise((r) => setTimeout(r, 300));
  expect(gw.undecodable, seen()).toEqual([]);
  expect(gw.messages.length).toBe(gw.rawMessages.length);

  // 1. an id received twice carried the same bytes both times (a re-send, never a re-encoding)
  const firstRaw = new Map<string, Uint8Array>();
  let duplicates = 0;
  gw.messages.forEach((m, i) => {
    const key = hex(m.id as Uint8Array);
    const raw = gw.rawMessages[i]!;
    const had = firstRaw.get(key);
    if (had) {
      duplicates++;
      expect(sameBytes(had, raw), `message ${key} (${m.type}) received twice with different bytes`).toBe(
        true,
      );
    } else firstRaw.set(key, raw);
  });

  // 2. every report exactly once after dedup: one TRAIN_METRICS per step, and per step and layer
  //    GRAD_UPDATEs whose rows are distinct and exactly the k owed (a report sent twice under two ids
  //    would repeat rows; a lost one would leave rows missing)
  const byId = unique();
  const metrics = ofType('TRAIN_METRICS');
  const grads = ofType('GRAD_UPDATE');
  expect(metrics.map((m) => m.step).sort((a, b) => (a as number) - (b as number))).toEqual(
    idx.map((i) => i + 1),
  );
  const order: Msg[] = [running];
  for (const i of idx) {
    const step = i + 1;
    const got = metrics.find((m) => m.step === step)!;
    expect(got.samplesSeen, `TRAIN_METRICS ${step}`).toBe(step);
    order.push(got);
    for (const layer of LAYERS) {
      const mine = grads.filter((g) => g.step === step && g.layer === layer);
      const r = mine.flatMap((g) => [...(g.indices as Uint16Array)]);
      expect(new Set(r).size, `GRAD_UPDATE rows of step ${step} layer ${layer}`).toBe(r.length);
      expect(r.length, `GRAD_UPDATE rows of step ${step} layer ${layer}`).toBe(owed(step, layer));
      order.push(...mine.sort((a, b) => counterOf(a.id as Uint8Array) - counterOf(b.id as Uint8Array)));
    }
  }
  expect(order.length - 1).toBe(metrics.length + grads.length);
  const done = ofType('TRAIN_STATUS').filter((m) => m.state === 'DONE');
  expect(done.length).toBe(1);
  order.push(done[0]!);

  // 3. message counters: one boot, contiguous from 0 (no id skipped, no message lost), and the
  //    session's reports in production order (RUNNING, then per step METRICS and GRAD_UPDATEs, DONE)
  const ids = [...byId.values()].map((e) => e.msg.id as Uint8Array);
  expect(new Set(ids.map(bootOf)).size).toBe(1);
  const counters = ids.map(counterOf).sort((a, b) => a - b);
  expect(counters, 'device message counters 0..max, each once').toEqual(counters.map((_, i) => i));
  const reportCounters = order.map((m) => counterOf(m.id as Uint8Array));
  expect(reportCounters).toEqual([...reportCounters].sort((a, b) => a - b));

  // 4. the scenario did what it claims: some reports arrived twice (delivered, ack lost), and some made
  //    before the restart (a counter below the new HELLO's) reached no gateway before it: they were
  //    still queued or in flight on the device when the first gateway died, and only the replay
  //    delivered them
  const h2 = counterOf(hello2.id as Uint8Array);
  const replayedOnly = order.filter(
    (m) =>
      counterOf(m.id as Uint8Array) < h2 && !beforeRestart.has(hex(firstRaw.get(hex(m.id as Uint8Array))!)),
  ).length;
  console.log(
    `replay: ${order.length} reports, ${duplicates} received twice, ${replayedOnly} made before the restart and delivered only by the replay`,
  );
  expect(duplicates, seen()).toBeGreaterThan(0);
  if (!oneReport) {
    expect(replayedOnly).toBeGreaterThan(0);
  } else {
    // backpressure: with room for one report, none is made while METRICS 2 waits for its ack; the
    // device trains on only after the restarted gateway acknowledged the re-sent one
    const metrics2 = order.findIndex((m) => m.type === 'TRAIN_METRICS' && m.step === MUTE_AT_STEP);
    expect(order.filter((m) => counterOf(m.id as Uint8Array) < h2).length).toBe(metrics2 + 1);
  }
}

const missingHost = missingTool([
  ['cmake', 'cmake'],
  ['gcc', 'gcc'],
]);

if (missingHost) {
  console.warn(`firmware report replay (vmcu): skipped, ${missingHost}`);
  it.skip(`firmware report replay (vmcu): skipped, ${missingHost}`, () => {});
} else {
  describe('training reports across a gateway restart (PROTOCOL.md §3.6.4 item 2, §4.4.8)', () => {
    // the port's default buffer (6,144 bytes), and the smallest allowed (one report of TF_AGENT_MSG_BYTES
    // + 8): training then stalls after every report until it is acknowledged (backpressure, no drop)
    for (const [name, replayBytes] of [
      ['default replay buffer', undefined],
      ['a one-report replay buffer (1,032 bytes)', 1032],
    ] as const) {
      it(`re-sends every unacknowledged report after the new HELLO, same bytes and ids, none lost (${name})`, async () => {
        const dir = cmakeBuild(
          replayBytes === undefined ? 'vitest-replay-host' : `vitest-replay-host-${replayBytes}`,
          [
            '-DCMAKE_C_COMPILER=gcc',
            '-DCMAKE_BUILD_TYPE=Debug',
            ...(replayBytes === undefined ? [] : [`-DTF_AGENT_REPLAY_BYTES=${replayBytes}`]),
          ],
          ['tinyfleet-vmcu'],
        );
        const bin = join(dir, 'ports', 'host', 'tinyfleet-vmcu');
        const dev = await hostVmcu(bin, ART, cleanups).boot();
        await replayContract(dev, replayBytes !== undefined);
      }, 120_000);
    }
  });
}

/**
 * On-device training end to end (PROTOCOL.md §4.3, §4.4, §6.6) over the virtual MCU's pty: a
 * quantized CNN with a training record (§5.7, written by the cloud's quant + plan modules) runs in
 * tinyfleet-vmcu; the test acts as the gateway: TRAIN_START, SAMPLE_BATCHes sent only inside the
 * device's SAMPLE_CREDIT grants, then every TRAIN_METRICS and GRAD_UPDATE the device sends must
 * EQUAL what the TypeScript reference FqtTrainer computes for the same samples (loss as float32,
 * accuracy, update rate, and the GRAD_UPDATE rows, bytes, qparams and eps bit-exactly).
 * Two sessions: streaming (bs 1, LOSS_RATIO, DELTA, 20 % of the structures, the artifact's logits
 * tracking `ea` 0.05) and batched (bs 3, ERROR_RATIO, GRADIENT, `ea` 0.3 from TRAIN_START, ended by
 * `smax` with TRAIN_STATUS DONE), then a third session whose TRAIN_START selects the §6.6.10 update rule SGD,
 * STOCHASTIC rounding, a bias rate and a seed over the artifact's STANDARDIZED / NEAREST (the reference's
 * config merged by `sessionConfig` as the device merges it, and checked to differ from the references
 * with each of those fields changed); the dense logits producer is re-centred every step (§6.6.6 step 2a). The same contract runs on the
 * Cortex-M4 image in QEMU (mps2-an386, hard-float binary32, the artifact embedded with TF_MODEL_TFM).
 * Skips, naming the Debian package, when a tool is missing.
 */

import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { type FqtConfig, FqtTrainer, type SessionStart, sessionConfig } from '@tinyfleet/cloud/fqt';
import { quadrantSplit, quantized, tinyCnn } from '@tinyfleet/cloud/fqt/testing';
import { writeQuantizedArtifact } from '@tinyfleet/cloud/quant';
import { readArtifact } from '@tinyfleet/protocol/artifact';
import { encodeMessage, type Message, randomMessageId } from '@tinyfleet/protocol/messages';
import { afterEach, describe, expect, it } from 'vitest';
import { cmakeBuild, missingTool } from './toolchain.js';
import {
  type Gateway,
  hostVmcu,
  linkSession,
  type Msg,
  startMps2WithModel,
  type Vmcu,
  WAIT_MS,
  waitFor,
} from './vmcu.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

const f32 = Math.fround;
const data = quadrantSplit(60, 5);
const Q = quantized(tinyCnn(), quadrantSplit(200, 1));
const LAYERS = [2, 4]; // c2 (conv + fused relu), fc
const ART = writeQuantizedArtifact(Q, {
  modelVersion: 3,
  trainable: LAYERS,
  training: {
    lambdaMin: f32(0.2),
    lambdaMax: f32(0.2),
    learningRate: f32(0.005),
    batchSize: 1,
    emaActivations: f32(0.05),
  },
});
const IN = Q.values.get(Q.input)!;
const RECORD = readArtifact(ART).training!;

interface SessionSpec {
  readonly sid: number;
  readonly samples: number;
  readonly perBatch: number;
  readonly config: FqtConfig;
  /** Extra TRAIN_START fields. */
  readonly start: Record<string, unknown>;
  /**
   * TRAIN_START changes whose reference must NOT match the device (proves each field reaches the
   * engine: a device that ignored it would compute that reference instead).
   */
  readonly differsFrom?: readonly SessionStart[];
}

/** §6.6.10 from TRAIN_START: SGD, STOCHASTIC rounding, lr_b and seed over the artifact's STANDARDIZED, NEAREST. */
const START_SGD: SessionStart = {
  updateRule: 'SGD',
  rounding: 'STOCHASTIC',
  learningRate: f32(0.02),
  biasLearningRate: f32(0.01),
  seed: 12345,
  emaWeights: f32(0.01),
  gradKind: 'DELTA',
};

const SESSIONS: readonly SessionSpec[] = [
  {
    sid: 7,
    samples: 16,
    perBatch: 3,
    config: {
      layers: LAYERS,
      lambdaMin: f32(0.2),
      lambdaMax: f32(0.2),
      learningRate: f32(0.005),
      batchSize: 1,
      epsMode: 'LOSS_RATIO',
      emaErrors: f32(0.25),
      emaWeights: 1,
      emaActivations: f32(0.05), // the artifact's: logits range tracking (§6.6.7)
      gradKind: 'DELTA',
      sessionId: 7,
    },
    // lmin, lmax, lr, bs, ea from the artifact's TRAIN record (§5.7 defaults)
    start: { epsMode: 'LOSS_RATIO', emaErrors: f32(0.25), emaWeights: 1, gradEvery: 1, gradKind: 'DELTA' },
  },
  {
    sid: 8,
    samples: 12,
    perBatch: 5,
    config: {
      layers: LAYERS,
      lambdaMin: f32(0.3),
      lambdaMax: 1,
      learningRate: f32(0.01),
      batchSize: 3,
      epsMode: 'ERROR_RATIO',
      emaErrors: 1,
      emaWeights: f32(0.5),
      emaActivations: f32(0.3),
      gradKind: 'GRADIENT',
      sessionId: 8,
    },
    start: {
      trainableOps: LAYERS,
      lambdaMin: f32(0.3),
      lambdaMax: 1,
      learningRate: f32(0.01),
      batchSize: 3,
      epsMode: 'ERROR_RATIO',
      emaErrors: 1,
      emaWeights: f32(0.5),
      emaActivations: f32(0.3),
      gradEvery: 1,
      gradKind: 'GRADIENT',
      maxSamples: 12,
      metricsEvery: 3, // §4.4.6: steps 3 (the mean of 9 samples) and 4 (the last: 3 samples)
    },
  },
  {
    sid: 9,
    samples: 12,
    perBatch: 4,
    // the reference's config as the device merges it: TRAIN_START over the TRAIN record (§4.4.2, §5.7)
    config: sessionConfig(RECORD, { ...START_SGD, sessionId: 9 }),
    start: { ...START_SGD, gradEvery: 1, metricsEvery: 5 }, // the steps after the last fifth: no report
    differsFrom: [
      { rounding: 'NEAREST' },
      { updateRule: 'STANDARDIZED' },
      { seed: 1 },
      { biasLearningRate: f32(0.02) },
    ],
  },
];

const of = (gw: Gateway, type: string, sid: number): Msg[] =>
  gw.messages.filter((m) => m.type === type && (m as Msg).sessionId === sid) as Msg[];

/** Streams the session's samples inside the credit window; returns the largest grant seen per batch. */
async function stream(gw: Gateway, seen: () => string, s: SessionSpec): Promise<void> {
  let seq = 0;
  while (seq < s.samples) {
    const limit = await waitFor(
      () => {
        const grants = of(gw, 'SAMPLE_CREDIT', s.sid).map(
          (c) => (c.nextSeq as number) + (c.credit as number),
        );
        const best = Math.max(-1, ...grants);
        return best > seq ? best : undefined;
      },
      WAIT_MS,
      `a credit above ${seq}`,
      seen,
    );
    const n = Math.min(s.perBatch, limit - seq, s.samples - seq);
    const idx = Array.from({ length: n }, (_, i) => seq + i);
    // §4.3 item 1: never at or above next + cr
    expect(seq + n).toBeLessThanOrEqual(limit);
    gw.ep.send(
      encodeMessage({
        type: 'SAMPLE_BATCH',
        id: randomMessageId(),
        sessionId: s.sid,
        firstSeq: seq,
        shape: [n, ...IN.shape],
        x: Uint8Array.from(idx.flatMap((i) => [...data.getRaw(i)])),
        inputScale: IN.q.scale,
        inputZeroPoint: IN.q.zeroPoint,
        labels: Uint8Array.from(idx, (i) => data.get(i).y),
      } as Message),
    );
    seq += n;
  }
}

async function runSession(gw: Gateway, seen: () => string, s: SessionSpec): Promise<void> {
  const id = randomMessageId();
  gw.ep.send(encodeMessage({ type: 'TRAIN_START', id, sessionId: s.sid, ...s.start } as Message));
  const st = await waitFor(() => gw.reply(id), WAIT_MS, 'TRAIN_STATUS', seen);
  expect(st.type, seen()).toBe('TRAIN_STATUS');
  expect(st.state).toBe('RUNNING');
  expect(st.step).toBe(0);
  await stream(gw, seen, s);
  const bs = s.config.batchSize;
  const steps = Math.ceil(s.samples / bs);
  // the reference on the same samples, step by step; computed first, so the wait below knows how many
  // GRAD_UPDATEs to expect (the last step's may arrive after its TRAIN_METRICS)
  const ref = new FqtTrainer(Q, s.config);
  const wants = Array.from({ length: steps }, (_, k) =>
    ref.step(
      Array.from({ length: Math.min(bs, s.samples - k * bs) }, (_, i) => ({
        x: data.getRaw(k * bs + i),
        y: data.get(k * bs + i).y,
      })),
    ),
  );
  const gradCount = wants.reduce((n, w) => n + w.gradUpdates.length, 0);
  const reports = reported(s, wants);
  await waitFor(
    () =>
      of(gw, 'TRAIN_METRICS', s.sid).length >= reports.length &&
      of(gw, 'GRAD_UPDATE', s.sid).length >= gradCount
        ? true
        : undefined,
    WAIT_MS,
    `${reports.length} TRAIN_METRICS and ${gradCount} GRAD_UPDATEs`,
    seen,
  );
  const metrics = of(gw, 'TRAIN_METRICS', s.sid);
  const grads = of(gw, 'GRAD_UPDATE', s.sid);
  // the bytes of every GRAD_UPDATE of the session, to tell apart the references of other parameters
  const bytesOf = (us: ReadonlyArray<Record<string, unknown>>) =>
    us.map((u) => `${u.step}/${u.layer}/${[...(u.values as Uint8Array)]}/${u.scale}/${u.zeroPoint}`).sort();
  for (const change of s.differsFrom ?? []) {
    const other = new FqtTrainer(Q, sessionConfig(RECORD, { ...START_SGD, sessionId: s.sid, ...change }));
    const theirs = Array.from({ length: steps }, (_, k) =>
      other.step(
        Array.from({ length: Math.min(bs, s.samples - k * bs) }, (_, i) => ({
          x: data.getRaw(k * bs + i),
          y: data.get(k * bs + i).y,
        })),
      ),
    ).flatMap((w) => w.gradUpdates);
    expect(bytesOf(theirs), `a device ignoring ${JSON.stringify(change)} would still pass`).not.toEqual(
      bytesOf(grads),
    );
  }
  expect(metrics.map((m) => m.step).sort((a, b) => (a as number) - (b as number))).toEqual(
    reports.map((r) => r.step),
  );
  for (const want of reports) {
    const got = metrics.find((m) => m.step === want.step);
    expect(got, `TRAIN_METRICS step ${want.step}`).toBeDefined();
    const { step, samplesSeen: n, loss, accuracy: acc, updateRate: ur } = got!;
    expect({ step, n, loss, acc, ur }).toEqual(want);
  }
  for (const want of wants) {
    const mine = grads.filter((g) => g.step === want.step);
    expect(mine.length, `GRAD_UPDATEs of step ${want.step}`).toBe(want.gradUpdates.length);
    for (const w of want.gradUpdates) {
      const g = mine.find((m) => m.layer === w.layer && (m.indices as Uint16Array)[0] === w.indices[0]);
      expect(g, `GRAD_UPDATE step ${w.step} layer ${w.layer}`).toBeDefined();
      const pick = (m: Record<string, unknown>) => ({
        kind: m.kind,
        n: m.samplesSeen,
        nst: m.structures,
        es: m.elements,
        idx: [...(m.indices as Uint16Array)],
        q: [...(m.values as Uint8Array)],
        qs: m.scale,
        qz: m.zeroPoint,
        eps: m.eps,
      });
      expect(pick(g!), `GRAD_UPDATE step ${w.step} layer ${w.layer}`).toEqual(
        pick(w as Record<string, unknown>),
      );
    }
  }
}

/**
 * The TRAIN_METRICS a session owes (§4.4.6): after every `me`-th step and after the last step of a
 * session that ends (at `smax`), each with the mean loss and accuracy over the samples since the previous
 * report, in float32 as the device sums them (loss x batch size per step, then / samples).
 */
function reported(
  s: SessionSpec,
  wants: ReadonlyArray<{
    step: number;
    samplesSeen: number;
    loss: number;
    accuracy: number;
    updateRate: number;
  }>,
) {
  const me = (s.start.metricsEvery as number | undefined) ?? 1;
  const ends = s.start.maxSamples !== undefined;
  const out: { step: number; n: number; loss: number; acc: number; ur: number }[] = [];
  let loss = 0;
  let correct = 0;
  let n = 0;
  for (const [k, w] of wants.entries()) {
    const bs = w.samplesSeen - (k > 0 ? wants[k - 1]!.samplesSeen : 0);
    loss = f32(loss + f32(f32(w.loss) * bs));
    correct += Math.round(w.accuracy * bs);
    n += bs;
    if (w.step % me === 0 || (ends && k === wants.length - 1)) {
      out.push({
        step: w.step,
        n: w.samplesSeen,
        loss: f32(loss / n),
        acc: f32(correct / n),
        ur: f32(w.updateRate),
      });
      loss = 0;
      correct = 0;
      n = 0;
    }
  }
  return out;
}

/** The training contract every device must meet (vmcu, QEMU image). */
async function trainContract(dev: Vmcu): Promise<void> {
  const { gw, hello, seen } = await linkSession(dev, cleanups, { name: 'train test', heartbeatMs: 1000 });
  expect(hello.training, 'HELLO fqt').toBe(true);
  expect(hello.sampleSlots as number).toBeGreaterThan(0);

  // refusals (§4.4.2, §4.3 item 4): an op outside the TRAIN record, samples without a session
  const refused = async (msg: Record<string, unknown>): Promise<unknown> => {
    const id = randomMessageId();
    gw.ep.send(encodeMessage({ ...msg, id } as Message));
    const r = await waitFor(() => gw.reply(id), WAIT_MS, `the reply to ${String(msg.type)}`, seen);
    expect(r.type, seen()).toBe('ERROR');
    return r.code;
  };
  expect(await refused({ type: 'TRAIN_START', sessionId: 5, trainableOps: [0] })).toBe(7); // OUT_OF_RANGE
  expect(
    await refused({
      type: 'SAMPLE_BATCH',
      sessionId: 5,
      firstSeq: 0,
      shape: [1, ...IN.shape],
      x: data.getRaw(0),
      inputScale: IN.q.scale,
      inputZeroPoint: IN.q.zeroPoint,
      labels: Uint8Array.of(0),
    }),
  ).toBe(10); // BAD_STATE
  const errorsBefore = gw.messages.filter((m) => m.type === 'ERROR').length;

  await runSession(gw, seen, SESSIONS[0]!);
  // §4.2.3: heartbeats say TRAINING with the running session's sid
  await waitFor(
    () => gw.messages.find((m) => m.type === 'HEARTBEAT' && m.state === 'TRAINING' && m.sessionId === 7),
    WAIT_MS,
    'a HEARTBEAT in state TRAINING',
    seen,
  );
  const stopId = randomMessageId();
  gw.ep.send(encodeMessage({ type: 'TRAIN_STOP', id: stopId, sessionId: 7 } as Message));
  const stopped = await waitFor(() => gw.reply(stopId), WAIT_MS, 'TRAIN_STATUS STOPPED', seen);
  expect([stopped.state, stopped.step, stopped.samplesSeen]).toEqual(['STOPPED', 16, 16]);

  await runSession(gw, seen, SESSIONS[1]!);
  const done = await waitFor(
    () => of(gw, 'TRAIN_STATUS', 8).find((m) => m.state === 'DONE'),
    WAIT_MS,
    'TRAIN_STATUS DONE at smax',
    seen,
  );
  expect([done.step, done.samplesSeen]).toEqual([4, 12]);

  // §6.6.10 from TRAIN_START: update SGD, STOCHASTIC rounding, lr_b and seed, bit-exact with the reference
  await runSession(gw, seen, SESSIONS[2]!);
  // no request of the sessions was refused (credits respected, every sample accepted)
  expect(gw.messages.filter((m) => m.type === 'ERROR').length, seen()).toBe(errorsBefore);
}

function _killAtEnd(proc: ChildProcess): void {
  cleanups.push(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
}

const missingHost = missingTool([
  ['cmake', 'cmake'],
  ['gcc', 'gcc'],
]);

if (missingHost) {
  console.warn(`firmware training (vmcu): skipped, ${missingHost}`);
  it.skip(`firmware training (vmcu): skipped, ${missingHost}`, () => {});
} else {
  describe('on-device training over the vmcu pty (PROTOCOL.md §4.3, §4.4, §6.6)', () => {
    it('trains bit-exactly with the TypeScript FqtTrainer, inside the credit window', async () => {
      const dir = cmakeBuild(
        'vitest-train-host',
        ['-DCMAKE_C_COMPILER=gcc', '-DCMAKE_BUILD_TYPE=Debug'],
        ['tinyfleet-vmcu'],
      );
      const bin = join(dir, 'ports', 'host', 'tinyfleet-vmcu');
      const dev = await hostVmcu(bin, ART, cleanups).boot();
      await trainContract(dev);
    }, 60_000);
  });
}

const missingQemu =
  missingTool([
    ['cmake', 'cmake'],
    ['arm-none-eabi-gcc', 'gcc-arm-none-eabi'],
  ]) ?? missingTool([['qemu-system-arm', 'qemu-system-arm']]);

if (missingQemu) {
  console.warn(`firmware training (QEMU mps2-an386): skipped, ${missingQemu}`);
  it.skip(`firmware training (QEMU mps2-an386): skipped, ${missingQemu}`, () => {});
} else {
  describe('on-device training on the Cortex-M4 image (QEMU mps2-an386, -serial pty)', () => {
    it('trains bit-exactly with the TypeScript FqtTrainer (hard-float binary32)', async () => {
      await trainContract(await startMps2WithModel('vitest-train-mps2', ART, cleanups));
    }, 90_000);
  });
}

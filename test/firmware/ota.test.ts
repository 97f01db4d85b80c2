/**
 * Device OTA end to end (PROTOCOL.md §4.6) over the virtual MCU's pty, driven like a gateway with the
 * TypeScript LinkEndpoint + encodeMessage: the device boots model A (`--model`), then
 *  1. receives model B with one corrupted block: OTA_COMMIT -> FAILED (SHA_MISMATCH), A still runs;
 *  2. receives B again, half of its blocks, and is killed (kill -9, a power cut) and restarted on the
 *     same flash file: after HELLO_ACK it reports RECEIVING; the re-offer's `have` names exactly the
 *     blocks written before the cut, and only the missing ones are sent;
 *  3. OTA_COMMIT -> VERIFIED; OTA_TEST_BOOT with a smoke input and `ysha` (SHA-256 of the output the
 *     TypeScript integer interpreter computes) -> TEST_BOOTING on the new slot, INFER_REQUEST
 *     answered by B bit-exactly; OTA_CONFIRM -> CONFIRMED; a reboot runs B (HELLO msha = B's §5.8
 *     digest, mver, aslot);
 *  4. OTA_REVERT after CONFIRMED -> REVERTED, A runs again;
 *  5. B once more with a wrong `ysha`: OTA_TEST_BOOT -> REVERTED (SMOKE_TEST_FAILED), A runs.
 * A second vmcu case updates a device in a running training session (§4.4, §4.6.1): the session keeps
 * training while B downloads and verifies; OTA_TEST_BOOT ends it cleanly first (TRAIN_STATUS STOPPED
 * with the reason in msg, ahead of the OTA_STATUS answer, no GRAD_UPDATE after it), then B runs and
 * is confirmed.
 * The same contract without the power cuts (its PSRAM "flash" does not survive a QEMU restart) runs
 * on the Cortex-M4 image in QEMU (mps2-an386, `-serial pty`, model A embedded with TF_MODEL_TFM).
 * Skips, naming the Debian package, when a tool is missing.
 */

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { quadrantSplit, quantized, tinyCnn } from '@tinyfleet/cloud/fqt/testing';
import { Interpreter, writeQuantizedArtifact } from '@tinyfleet/cloud/quant';
import { encodeMessage, type Message, randomMessageId } from '@tinyfleet/protocol/messages';
import { afterEach, describe, expect, it } from 'vitest';
import { firmwareModels, firstMismatch, otaModel, randomInputs } from './nn-models.js';
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

const BS = 4096; // P.OTA_BLOCK_BYTES
const MODEL_A = firmwareModels().find((m) => m.label === 'all-ops (int8 per-channel)')!;
const ART_A = writeQuantizedArtifact(MODEL_A.q, { modelVersion: 7 });
const MODEL_B = otaModel(11);
const ART_B = writeQuantizedArtifact(MODEL_B.q, { modelVersion: 8 });
/** §5.8: the artifact digest, header field sha256 (offset 80), names the transfer. */
const SHA_B = ART_B.slice(80, 112);
const NB = Math.ceil(ART_B.length / BS);

const cleanups: Array<() => void> = [];
const session = (dev: Vmcu) => linkSession(dev, cleanups, { name: 'ota test', heartbeatMs: 60_000 });
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** Sends a request and waits for its reply (OTA_STATUS or ERROR with re = its id). */
async function request(gw: Gateway, seen: () => string, msg: Record<string, unknown>): Promise<Msg> {
  const id = randomMessageId();
  gw.ep.send(encodeMessage({ ...msg, id } as Message));
  return waitFor(() => gw.reply(id), WAIT_MS, `the reply to ${String(msg.type)}`, seen);
}

const offer = {
  type: 'OTA_OFFER',
  sha256: SHA_B,
  size: ART_B.length,
  blockSize: BS,
  blocks: NB,
  modelVersion: 8,
  keyId: new Uint8Array(8),
};

function sendBlock(gw: Gateway, file: Uint8Array, i: number): void {
  gw.ep.send(
    encodeMessage({
      type: 'OTA_BLOCK',
      id: randomMessageId(),
      sha256: SHA_B,
      index: i,
      data: file.subarray(i * BS, Math.min(file.length, (i + 1) * BS)),
    } as Message),
  );
}

function haveBits(st: Msg): number[] {
  const have = st.have as Uint8Array;
  const out: number[] = [];
  for (let i = 0; i < NB; i++) if ((have[i >> 3]! >> (i & 7)) & 1) out.push(i);
  return out;
}

type Session = Awaited<ReturnType<typeof session>>;

const interpB = new Interpreter(MODEL_B.q);
const inB = MODEL_B.q.values.get(MODEL_B.q.input)!;
const xB = randomInputs(MODEL_B.inputSize, 3, 77)[2]!;
const wantB = interpB.run(xB);
const smokeB = { shape: [1, ...inB.shape], x: xB, inputScale: inB.q.scale, inputZeroPoint: inB.q.zeroPoint };

/** 1. A corrupted block: FAILED with SHA_MISMATCH, the active slot untouched; a request naming another sha. */
async function corruptedTransfer(s: Session, slotA: unknown): Promise<void> {
  let st = await request(s.gw, s.seen, offer);
  expect(st.type, `${JSON.stringify(st)}${s.seen()}`).toBe('OTA_STATUS');
  expect(st.state).toBe('RECEIVING');
  expect(haveBits(st)).toEqual([]);
  expect(st.pendingSlot).not.toBe(slotA);
  const bad = ART_B.slice();
  bad[BS + 100] = (bad[BS + 100]! ^ 0x55) & 0xff;
  for (let i = 0; i < NB; i++) sendBlock(s.gw, bad, i);
  st = await request(s.gw, s.seen, { type: 'OTA_COMMIT', sha256: SHA_B });
  expect(st.state, s.seen()).toBe('FAILED');
  expect(st.error).toBe(13); // SHA_MISMATCH
  expect(st.activeSlot).toBe(slotA);
  const other = await request(s.gw, s.seen, { type: 'OTA_CONFIRM', sha256: new Uint8Array(32) });
  expect(other.type).toBe('ERROR');
  expect(other.code).toBe(10); // BAD_STATE: another sha
}

/** 3. Commit, test boot with a smoke test, inference on B, confirm; returns B's slot. */
async function verifyTestBootConfirm(s: Session, slotA: unknown): Promise<unknown> {
  let st = await request(s.gw, s.seen, { type: 'OTA_COMMIT', sha256: SHA_B });
  expect(st.state, s.seen()).toBe('VERIFIED');
  const ysha = createHash('sha256').update(wantB).digest();
  st = await request(s.gw, s.seen, { type: 'OTA_TEST_BOOT', sha256: SHA_B, ...smokeB, outputSha256: ysha });
  expect(st.state, s.seen()).toBe('TEST_BOOTING');
  const slotB = st.activeSlot;
  expect(slotB).not.toBe(slotA);
  const res = await request(s.gw, s.seen, { type: 'INFER_REQUEST', ...smokeB });
  const y = res.y as Uint8Array;
  const at = firstMismatch(y, wantB);
  expect(at, `first mismatching index ${at}: device ${y[at]} vs TS ${wantB[at]}`).toBe(-1);
  st = await request(s.gw, s.seen, { type: 'OTA_CONFIRM', sha256: SHA_B });
  expect(st.state).toBe('CONFIRMED');
  expect(st.activeSlot).toBe(slotB);
  st = await request(s.gw, s.seen, { type: 'OTA_CONFIRM', sha256: SHA_B }); // repeated: status
  expect(st.state).toBe('CONFIRMED');
  return slotB;
}

/** 4 and 5. Revert after CONFIRMED; then B again with a wrong ysha: REVERTED, A answers again. */
async function revertAndBadSmoke(s: Session, slotA: unknown): Promise<void> {
  let st = await request(s.gw, s.seen, { type: 'OTA_REVERT', sha256: SHA_B });
  expect(st.state, s.seen()).toBe('REVERTED');
  expect(st.activeSlot).toBe(slotA);
  st = await request(s.gw, s.seen, offer);
  expect(st.state).toBe('RECEIVING');
  for (let i = 0; i < NB; i++) sendBlock(s.gw, ART_B, i);
  st = await request(s.gw, s.seen, { type: 'OTA_COMMIT', sha256: SHA_B });
  expect(st.state).toBe('VERIFIED');
  st = await request(s.gw, s.seen, {
    type: 'OTA_TEST_BOOT',
    sha256: SHA_B,
    ...smokeB,
    outputSha256: new Uint8Array(32),
  });
  expect(st.state, s.seen()).toBe('REVERTED');
  expect(st.error).toBe(18); // SMOKE_TEST_FAILED
  expect(st.activeSlot).toBe(slotA);
  const inA = MODEL_A.q.values.get(MODEL_A.q.input)!;
  const xa = randomInputs(MODEL_A.inputSize, 3, 5)[2]!;
  const infA = await request(s.gw, s.seen, {
    type: 'INFER_REQUEST',
    shape: [1, ...inA.shape],
    x: xa,
    inputScale: inA.q.scale,
    inputZeroPoint: inA.q.zeroPoint,
  });
  expect(infA.type, s.seen()).toBe('INFER_RESULT'); // model A is loaded again
  expect(firstMismatch(infA.y as Uint8Array, new Interpreter(MODEL_A.q).run(xa))).toBe(-1);
}

const missingHost = missingTool([
  ['cmake', 'cmake'],
  ['gcc', 'gcc'],
]);

if (missingHost) {
  console.warn(`firmware OTA (vmcu): skipped, ${missingHost}`);
  it.skip(`firmware OTA (vmcu): skipped, ${missingHost}`, () => {});
} else {
  describe('device OTA over the vmcu pty (PROTOCOL.md §4.6)', () => {
    it('fails a corrupted transfer, resumes after kill -9, test-boots, confirms and reverts', async () => {
      expect(NB, 'a multi-block artifact').toBeGreaterThanOrEqual(4);
      const dir = cmakeBuild(
        'vitest-ota-host',
        ['-DCMAKE_C_COMPILER=gcc', '-DCMAKE_BUILD_TYPE=Debug'],
        ['tinyfleet-vmcu'],
      );
      const bin = join(dir, 'ports', 'host', 'tinyfleet-vmcu');
      const { boot } = hostVmcu(bin, ART_A, cleanups);

      // model A runs
      let dev = await boot();
      let s = await session(dev);
      const slotA = s.hello.activeSlot;
      expect(s.hello.modelVersion).toBe(7);
      expect(Buffer.from(s.hello.modelSha256 as Uint8Array)).toEqual(Buffer.from(ART_A.subarray(80, 112)));
      await corruptedTransfer(s, slotA);

      // 2. B again, half of the blocks, then a power cut (kill -9) and a restart on the same flash
      let st = await request(s.gw, s.seen, offer);
      expect(st.state).toBe('RECEIVING');
      expect(haveBits(st)).toEqual([]);
      const first = [...Array(NB).keys()].filter((i) => i % 2 === 0);
      for (const i of first) sendBlock(s.gw, ART_B, i);
      st = await request(s.gw, s.seen, { type: 'OTA_COMMIT', sha256: SHA_B }); // blocks missing: status with have
      expect(st.state).toBe('RECEIVING');
      expect(haveBits(st)).toEqual(first);
      dev.proc.kill('SIGKILL');
      s.gw.close();
      dev = await boot();
      s = await session(dev);
      const unsolicited = await waitFor(
        () => s.gw.messages.find((m) => m.type === 'OTA_STATUS') as Msg | undefined,
        WAIT_MS,
        'OTA_STATUS after HELLO_ACK (§4.2 item 3)',
        s.seen,
      );
      expect(unsolicited.state).toBe('RECEIVING');
      st = await request(s.gw, s.seen, offer); // §4.6.1 resume: the have-bitmap survived the reset
      expect(st.state).toBe('RECEIVING');
      expect(haveBits(st)).toEqual(first);
      for (const i of [...Array(NB).keys()].filter((k) => !first.includes(k))) sendBlock(s.gw, ART_B, i);

      const slotB = await verifyTestBootConfirm(s, slotA);
      dev.proc.kill('SIGKILL');
      s.gw.close();
      dev = await boot();
      s = await session(dev);
      expect(s.hello.activeSlot).toBe(slotB);
      expect(s.hello.modelVersion).toBe(8);
      // §4.2.1: msha is B's §5.8 content digest (the sha it was offered by), not the file's SHA-256
      expect(Buffer.from(s.hello.modelSha256 as Uint8Array)).toEqual(Buffer.from(SHA_B));
      expect(Buffer.from(s.hello.modelSha256 as Uint8Array)).not.toEqual(
        createHash('sha256').update(ART_B).digest(),
      );
      await revertAndBadSmoke(s, slotA);
    }, 90_000);
  });
}

/** A trainable model A for the training case: the FQT tests' tiny CNN (8x8x1, 4 classes), batch 1. */
const TRAIN_Q = quantized(tinyCnn(), quadrantSplit(200, 1));
const ART_T = writeQuantizedArtifact(TRAIN_Q, {
  modelVersion: 5,
  trainable: [2, 4],
  training: { lambdaMin: 0.5, lambdaMax: 0.5, learningRate: Math.fround(0.005), batchSize: 1 },
});
const TRAIN_IN = TRAIN_Q.values.get(TRAIN_Q.input)!;
const TRAIN_DATA = quadrantSplit(64, 9);

/**
 * Sends samples [from, to) of session `sid`, never beyond the device's newest SAMPLE_CREDIT grant (§4.3),
 * waiting for grants as needed.
 */
async function feed(s: Session, sid: number, from: number, to: number): Promise<void> {
  let seq = from;
  while (seq < to) {
    const limit = await waitFor(
      () => {
        const grants = s.gw.messages
          .filter((m) => m.type === 'SAMPLE_CREDIT' && (m as Msg).sessionId === sid)
          .map((c) => ((c as Msg).nextSeq as number) + ((c as Msg).credit as number));
        const best = Math.max(-1, ...grants);
        return best > seq ? best : undefined;
      },
      WAIT_MS,
      `a credit above ${seq}`,
      s.seen,
    );
    const n = Math.min(4, limit - seq, to - seq);
    const idx = Array.from({ length: n }, (_, i) => (seq + i) % TRAIN_DATA.size);
    s.gw.ep.send(
      encodeMessage({
        type: 'SAMPLE_BATCH',
        id: randomMessageId(),
        sessionId: sid,
        firstSeq: seq,
        shape: [n, ...TRAIN_IN.shape],
        x: Uint8Array.from(idx.flatMap((i) => [...TRAIN_DATA.getRaw(i)])),
        inputScale: TRAIN_IN.q.scale,
        inputZeroPoint: TRAIN_IN.q.zeroPoint,
        labels: Uint8Array.from(idx, (i) => TRAIN_DATA.get(i).y),
      } as Message),
    );
    seq += n;
  }
}

if (!missingHost) {
  describe('OTA of a device in a training session (PROTOCOL.md §4.4, §4.6.1)', () => {
    it('keeps training while the update downloads, ends the session STOPPED (model update) at the test boot, and confirms', async () => {
      const dir = cmakeBuild(
        'vitest-ota-host',
        ['-DCMAKE_C_COMPILER=gcc', '-DCMAKE_BUILD_TYPE=Debug'],
        ['tinyfleet-vmcu'],
      );
      const bin = join(dir, 'ports', 'host', 'tinyfleet-vmcu');
      const { boot } = hostVmcu(bin, ART_T, cleanups);
      let dev = await boot();
      let s = await session(dev);
      const slotA = s.hello.activeSlot;
      expect(s.hello.modelVersion).toBe(5);
      const SID = 21;
      const ofSid = (type: string, from = 0) =>
        s.gw.messages.slice(from).filter((m) => m.type === type && (m as Msg).sessionId === SID) as Msg[];
      const lastStep = () => Math.max(0, ...ofSid('TRAIN_METRICS').map((m) => m.step as number));

      // a running session (GRAD_UPDATE every step, so rows are in flight when the model changes)
      let st = await request(s.gw, s.seen, { type: 'TRAIN_START', sessionId: SID, gradEvery: 1 });
      expect(st.type, s.seen()).toBe('TRAIN_STATUS');
      expect(st.state).toBe('RUNNING');
      await feed(s, SID, 0, 6);
      await waitFor(() => lastStep() >= 6 || undefined, WAIT_MS, 'six training steps', s.seen);

      // the update downloads into the inactive slot while the device keeps training on the active one
      st = await request(s.gw, s.seen, offer);
      expect(st.state, s.seen()).toBe('RECEIVING');
      expect(st.pendingSlot).not.toBe(slotA);
      const half = Math.ceil(NB / 2);
      for (let i = 0; i < half; i++) sendBlock(s.gw, ART_B, i);
      await feed(s, SID, 6, 12);
      await waitFor(() => lastStep() >= 12 || undefined, WAIT_MS, 'steps during the download', s.seen);
      for (let i = half; i < NB; i++) sendBlock(s.gw, ART_B, i);
      st = await request(s.gw, s.seen, { type: 'OTA_COMMIT', sha256: SHA_B });
      expect(st.state, s.seen()).toBe('VERIFIED');
      st = await request(s.gw, s.seen, { type: 'TRAIN_CONFIG', sessionId: SID }); // §4.4.4: where is it?
      expect(st.type, s.seen()).toBe('TRAIN_STATUS');
      expect(st.state, 'the session still runs after the download and the verification').toBe('RUNNING');
      expect(st.step).toBe(12);

      // the test boot ends the session cleanly first (TRAIN_STATUS STOPPED with its reason), then loads B
      const before = s.gw.messages.length;
      const ysha = createHash('sha256').update(wantB).digest();
      st = await request(s.gw, s.seen, {
        type: 'OTA_TEST_BOOT',
        sha256: SHA_B,
        ...smokeB,
        outputSha256: ysha,
      });
      expect(st.type, s.seen()).toBe('OTA_STATUS');
      expect(st.state, s.seen()).toBe('TEST_BOOTING');
      const answerAt = s.gw.messages.indexOf(st as Message);
      const ended = ofSid('TRAIN_STATUS', before);
      expect(
        ended.map((m) => m.state),
        s.seen(),
      ).toEqual(['STOPPED']);
      const stopped = ended[0]!;
      expect(stopped.error, 'a clean end, not an error').toBeUndefined();
      expect(String(stopped.text)).toMatch(/model update/);
      expect(stopped.step).toBe(12);
      expect(stopped.samplesSeen).toBe(12);
      expect(
        s.gw.messages.indexOf(stopped as Message),
        'TRAIN_STATUS before the OTA_STATUS answer',
      ).toBeLessThan(answerAt);
      st = await request(s.gw, s.seen, { type: 'OTA_CONFIRM', sha256: SHA_B });
      expect(st.state, s.seen()).toBe('CONFIRMED');
      const slotB = st.activeSlot;
      expect(slotB).not.toBe(slotA);
      // nothing of the old model's session after its final status
      const after = s.gw.messages.slice(s.gw.messages.indexOf(stopped as Message) + 1);
      expect(
        after.filter((m) => (m as Msg).sessionId === SID && m.type !== 'SAMPLE_CREDIT').map((m) => m.type),
      ).toEqual([]);
      // §4.4.3: the ended session answers TRAIN_STOP with its final status again
      st = await request(s.gw, s.seen, { type: 'TRAIN_STOP', sessionId: SID });
      expect([st.type, st.state, st.step]).toEqual(['TRAIN_STATUS', 'STOPPED', 12]);
      const res = await request(s.gw, s.seen, { type: 'INFER_REQUEST', ...smokeB });
      expect(firstMismatch(res.y as Uint8Array, wantB), s.seen()).toBe(-1); // B runs

      // after a reboot B is the device's model
      dev.proc.kill('SIGKILL');
      s.gw.close();
      dev = await boot();
      s = await session(dev);
      expect(s.hello.activeSlot).toBe(slotB);
      expect(Buffer.from(s.hello.modelSha256 as Uint8Array)).toEqual(Buffer.from(SHA_B));
    }, 90_000);
  });
}

const missingQemu =
  missingTool([
    ['cmake', 'cmake'],
    ['arm-none-eabi-gcc', 'gcc-arm-none-eabi'],
  ]) ?? missingTool([['qemu-system-arm', 'qemu-system-arm']]);

if (missingQemu) {
  console.warn(`firmware OTA (QEMU mps2-an386): skipped, ${missingQemu}`);
  it.skip(`firmware OTA (QEMU mps2-an386): skipped, ${missingQemu}`, () => {});
} else {
  describe('device OTA on the Cortex-M4 image (QEMU mps2-an386, -serial pty)', () => {
    it('fails a corrupted transfer, transfers, test-boots, confirms and reverts', async () => {
      const s = await session(await startMps2WithModel('vitest-ota-mps2', ART_A, cleanups));
      const slotA = s.hello.activeSlot;
      expect(s.hello.modelVersion).toBe(7);
      expect(Buffer.from(s.hello.modelSha256 as Uint8Array)).toEqual(Buffer.from(ART_A.subarray(80, 112)));
      await corruptedTransfer(s, slotA);
      let st = await request(s.gw, s.seen, offer);
      expect(st.state).toBe('RECEIVING');
      for (let i = NB - 1; i >= 0; i--) sendBlock(s.gw, ART_B, i); // any order (§4.6.3)
      st = await request(s.gw, s.seen, offer); // a repeated offer: the status with have
      expect(haveBits(st)).toEqual([...Array(NB).keys()]);
      await verifyTestBootConfirm(s, slotA);
      await revertAndBadSmoke(s, slotA);
    }, 90_000);
  });
}

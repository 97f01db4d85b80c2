/**
 * Delivery of a verified artifact to one device over its serial link (PROTOCOL.md §4.6): OTA_OFFER, the
 * device's have-bitmap, only the missing OTA_BLOCKs (a window bounded by the link's send queue),
 * OTA_COMMIT, OTA_TEST_BOOT, OTA_CONFIRM. Each next request follows from the device's own OTA_STATUS
 * (steps.ts), so a device reset or a gateway restart resumes at block granularity: the re-offer's
 * answer says what is missing (§4.6.1 Resume).
 */
import { P } from '@tinyfleet/protocol/constants';
import { isProtocolError, ProtocolError } from '@tinyfleet/protocol/errors';
import {
  type Message,
  messageIdHex,
  type OtaStateName,
  type OtaStatus,
  randomMessageId,
  type ValueMap,
} from '@tinyfleet/protocol/messages';
import { blockCount, sliceBlock } from '@tinyfleet/protocol/mqtt';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { Replies } from '../session/waiters.js';
import type { OtaJob } from './args.js';
import { codeName } from './codes.js';
import { nextStep, progressKey, type Step, sameBytes } from './steps.js';
import type { VerifiedArtifact } from './verify.js';

/** What delivery needs of an attached device. */
export interface OtaDevice {
  /** false when the link's send queue is full (§3.5.2). */
  send(m: Message): boolean;
  /** Bytes waiting in the link's send queue. */
  readonly queuedBytes: number;
  /** The link's counters (§3.5), for the delivery's log record: bytes on the wire, frames sent again. */
  readonly linkStats?: {
    readonly bytesOut: number;
    readonly framesIn: number;
    readonly dataFramesOut: number;
    readonly retransmissions: number;
    readonly timeouts: number;
    readonly fastRetransmits: number;
    /** Chunks read from, and writes to, the serial transport. */
    readonly transportReads?: number;
    readonly transportWrites?: number;
  };
}

export interface OtaTimings {
  /** Reply to OTA_OFFER and OTA_CONFIRM. */
  readonly replyMs: number;
  /** OTA_COMMIT to VERIFIED (includes sending the queued blocks). */
  readonly verifyMs: number;
  /** OTA_TEST_BOOT to TEST_BOOTING (the smoke inference). */
  readonly testBootMs: number;
  /** How long a target may stay detached (reset, unplugged) before the execution fails LINK_DOWN. */
  readonly attachMs: number;
  /** OTA_BLOCKs queued on the link at most (flow control on the serial hop). */
  readonly linkWindowBlocks: number;
  /** Requests without progress before the execution fails TIMEOUT. */
  readonly maxStalls: number;
}

export const OTA_TIMING_DEFAULTS: OtaTimings = {
  replyMs: 10_000,
  verifyMs: 120_000,
  testBootMs: 120_000,
  attachMs: 60_000,
  linkWindowBlocks: 8,
  maxStalls: 5,
};

export interface DeliveryEnv {
  readonly device: (deviceId: string) => OtaDevice | undefined;
  /** Offered every message of the device (OTA_STATUS, ERROR). */
  readonly replies: Replies;
  readonly timings: OtaTimings;
  /** Persists the device's state for this job when resume needs it (TEST_BOOTING: it may be on trial). */
  readonly saveState: (state: OtaStateName) => Promise<void>;
  /**
   * A first delivery of this job to this device (not one resumed after a gateway restart): the first
   * window of blocks may follow the offer before its answer.
   */
  readonly fresh?: boolean;
  /** True once the gateway is stopping: delivery ends without a result (it resumes at the next start). */
  readonly stopped: () => boolean;
  readonly log: Logger;
}

const stopping = () => new GatewayError('STOPPED', 'gateway stopping');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs §4.6 on one device; returns the GW_COMMAND_RESULT `res` (§4.7.2) or throws ProtocolError. */
export async function deliverToDevice(
  env: DeliveryEnv,
  dev: string,
  art: VerifiedArtifact,
  job: OtaJob,
  last: OtaStateName | undefined,
): Promise<ValueMap> {
  const t = env.timings;
  const sha = art.sha256;
  const size = art.bytes.length;
  const nb = blockCount(size, P.OTA_BLOCK_BYTES);
  const base = () => ({ id: randomMessageId(), ts: Date.now(), sha256: sha });
  // The device's link time for this transfer: from the first request handed to its link to the receipt
  // of its final report (offer, every block, its flash writes, verify, test boot, confirm); what the
  // gateway does after that (the job file, the result) no longer occupies the link. bench:ota reads it.
  const startedMs = performance.now();
  let lastReplyMs: number | undefined;
  const stats0 = env.device(dev)?.linkStats;
  const marks: Record<string, number> = {};
  const mark = (k: string) => {
    marks[k] ??= Math.round(performance.now() - startedMs);
  };
  let blocksSent = 0;

  async function attached(): Promise<OtaDevice> {
    const end = Date.now() + t.attachMs;
    for (;;) {
      if (env.stopped()) throw stopping();
      const d = env.device(dev);
      if (d) return d;
      if (Date.now() >= end) throw new ProtocolError('LINK_DOWN', `device ${dev} is not attached`);
      await sleep(20);
    }
  }

  /** Sends `m` once the link has room; `reply` is the OTA_STATUS that answers it (an ERROR rejects it). */
  async function post(m: Message, timeoutMs: number): Promise<{ reply: Promise<OtaStatus> }> {
    for (;;) {
      const d = await attached();
      if (d.send(m)) break;
      await sleep(5);
    }
    const id = messageIdHex(m.id);
    const reply = env.replies
      .wait(
        dev,
        (x) =>
          (x.type === 'OTA_STATUS' &&
            (x.re !== undefined
              ? messageIdHex(x.re) === id
              : x.state === 'IDLE' || sameBytes(x.sha256, sha))) ||
          (x.type === 'ERROR' && x.re !== undefined && messageIdHex(x.re) === id),
        timeoutMs,
      )
      .then((r) => {
        lastReplyMs = performance.now();
        if (r.type === 'ERROR') throw new ProtocolError(codeName(r.code), r.text ?? `device error ${r.code}`);
        if (r.type !== 'OTA_STATUS') throw new ProtocolError('INTERNAL', 'unexpected reply');
        return r;
      });
    return { reply };
  }

  /** Sends `m` once the link has room, then waits for the OTA_STATUS or ERROR that answers it. */
  async function request(m: Message, timeoutMs: number): Promise<OtaStatus> {
    return (await post(m, timeoutMs)).reply;
  }

  /** §4.6.3: the missing blocks, back to back; the link window paces them (at most N queued). */
  async function sendBlocks(missing: readonly number[]): Promise<void> {
    const limit = t.linkWindowBlocks * (P.OTA_BLOCK_BYTES + 128);
    for (const index of missing) {
      const m: Message = { type: 'OTA_BLOCK', ...base(), index, data: sliceBlock(art.bytes, index) };
      for (;;) {
        if (env.stopped()) throw stopping();
        const d = env.device(dev);
        if (!d) throw new GatewayError('NOT_ATTACHED', `device ${dev} detached`);
        if (d.queuedBytes <= limit && d.send(m)) break;
        // the queue holds `linkWindowBlocks` blocks, ~0.37 s of a 921600-baud line (8 KiB more are in the
        // link window): every 40 ms keeps it full with a tenth of the wake-ups of a gateway's devices
        await sleep(40);
      }
      blocksSent++;
    }
  }

  // §4.6.1: a device on trial must not be offered again (BAD_STATE). From the moment OTA_TEST_BOOT may
  // have reached it (and after a restart whose job file says so), the device is asked with OTA_COMMIT
  // instead (a *probe*): every phase of this transfer answers it with its status (a phase already passed
  // changes nothing; RECEIVING answers with `have`), and a device without this transfer answers
  // BAD_STATE, after which an offer is safe.
  let mayBeOnTrial = last !== undefined;
  let probe = mayBeOnTrial;
  // The job file says "may be on trial" before OTA_TEST_BOOT leaves: written while the last blocks are
  // on the line, so the test boot does not wait for the disk.
  let trialSaved: Promise<void> | undefined = last === 'TEST_BOOTING' ? Promise.resolve() : undefined;
  const saveTrial = (): Promise<void> => {
    if (!trialSaved) {
      trialSaved = env.saveState('TEST_BOOTING'); // durable before OTA_TEST_BOOT is sent; off the event loop
      trialSaved.catch(() => {}); // awaited (and its failure thrown) before the test boot
    }
    return trialSaved;
  };
  /**
   * §4.6.4-§4.6.6 back to back: OTA_COMMIT, OTA_TEST_BOOT and (with `confirm`) OTA_CONFIRM leave together
   * once every block is queued, so the device goes from its last block to CONFIRMED without waiting for
   * the gateway between the steps. Each takes effect only if the one before brought the device to its
   * phase (§4.6.1): otherwise it is answered BAD_STATE (a phase not reached) or with the final status, and
   * changes nothing; the answer of the first step that did not succeed is returned, and the state machine
   * goes on from it as if the requests had been sent one by one.
   */
  async function finishTransfer(): Promise<OtaStatus> {
    const commit = await post({ type: 'OTA_COMMIT', ...base() }, t.verifyMs);
    commit.reply.catch(() => {}); // awaited below
    await saveTrial(); // resume must not offer a device that may be on trial
    mayBeOnTrial = true;
    mark('test-boot');
    // §4.6.5: with the smoke test fields when the job gives them.
    const boot = await post(
      { type: 'OTA_TEST_BOOT', ...base(), ...(job.smoke ?? {}) },
      t.verifyMs + t.testBootMs,
    );
    boot.reply.catch(() => {});
    if (job.confirm) mark('confirm');
    const confirm = job.confirm
      ? await post({ type: 'OTA_CONFIRM', ...base() }, t.verifyMs + t.testBootMs + t.replyMs)
      : undefined;
    confirm?.reply.catch(() => {});
    const verified = await commit.reply;
    if (verified.state !== 'VERIFIED') return verified;
    const booted = await boot.reply;
    if (booted.state !== 'TEST_BOOTING' || !confirm) return booted;
    return confirm.reply;
  }

  // §4.6.3: on a first delivery the first window of blocks follows the offer at once (see 'offer').
  let optimistic = env.fresh === true && last === undefined;
  let pushed = new Set<number>();
  let st: OtaStatus | undefined;
  let stalls = 0;
  let before = '';
  for (;;) {
    const probing = probe;
    probe = false;
    const step: Step = probing ? { kind: 'commit' } : nextStep(st, sha, nb, job.confirm);
    // blocks sent with the offer, before its answer: not sent again by the step that follows it
    const sentWithOffer = pushed;
    pushed = new Set();
    const key = `${step.kind}:${progressKey(st)}`;
    stalls = key === before ? stalls + 1 : 0;
    before = key;
    if (stalls > t.maxStalls) throw new ProtocolError('TIMEOUT', `no progress on ${dev} (${key})`);
    mark(step.kind);
    try {
      switch (step.kind) {
        case 'offer': {
          // §4.6.2: mver from the artifact header, kid from its envelope (all zero when unsigned).
          const offer = await post(
            {
              type: 'OTA_OFFER',
              ...base(),
              size,
              blockSize: P.OTA_BLOCK_BYTES,
              blocks: nb,
              modelVersion: art.modelVersion,
              keyId: art.keyId,
            },
            t.replyMs,
          );
          if (optimistic) {
            // §4.6.3 (the gateway MAY send blocks back to back): the first window of blocks follows the
            // offer without waiting for its answer, so the line does not idle for a round trip. The device
            // takes messages in order, so they find it RECEIVING; one that refuses the offer answers them
            // BAD_STATE and writes nothing; one that resumes a transfer of this `sha` already has some
            // (written once, §4.6.1), so at most one window is sent before the answer says what is missing.
            optimistic = false;
            offer.reply.catch(() => {}); // awaited below
            const first = Array.from({ length: Math.min(nb, t.linkWindowBlocks) }, (_, i) => i);
            await sendBlocks(first);
            pushed = new Set(first);
          }
          st = await offer.reply;
          break;
        }
        case 'blocks':
          await sendBlocks(step.missing.filter((i) => !sentWithOffer.has(i)));
          mark('blocks-queued');
          void saveTrial(); // while the queued blocks are on the line and the device verifies
          st = await finishTransfer();
          break;
        case 'commit':
          // a probe asks (see `probe`); otherwise every block is there: verify, test-boot, confirm
          st = probing
            ? await request({ type: 'OTA_COMMIT', ...base() }, t.verifyMs)
            : await finishTransfer();
          break;
        case 'await-verify': {
          // §4.6.4: the device MAY send VERIFYING first; VERIFIED or FAILED follows.
          const r = await env.replies
            .wait(
              dev,
              (x) => x.type === 'OTA_STATUS' && sameBytes(x.sha256, sha) && x.state !== 'VERIFYING',
              t.verifyMs,
            )
            .catch(() => undefined);
          st = r?.type === 'OTA_STATUS' ? r : await request({ type: 'OTA_COMMIT', ...base() }, t.verifyMs);
          break;
        }
        case 'test-boot':
          await saveTrial(); // resume must not offer a device that may be on trial
          mayBeOnTrial = true;
          // §4.6.5: with the smoke test fields when the job gives them.
          st = await request({ type: 'OTA_TEST_BOOT', ...base(), ...(job.smoke ?? {}) }, t.testBootMs);
          break;
        case 'confirm':
          st = await request({ type: 'OTA_CONFIRM', ...base() }, t.replyMs);
          break;
        case 'done': {
          const s1 = env.device(dev)?.linkStats;
          env.log.info('ota delivered', {
            device: dev,
            st: st?.state,
            // to the final OTA_STATUS (CONFIRMED; TEST_BOOTING without confirm); `stepsMs.done` is now
            linkMs: Math.round(((lastReplyMs ?? performance.now()) - startedMs) * 1000) / 1000,
            bytes: size,
            blocksSent,
            resumed: last !== undefined || env.fresh === false,
            // when each step's request was handed to the link, ms after the start
            stepsMs: marks,
            ...(stats0 &&
              s1 && {
                wireBytesOut: s1.bytesOut - stats0.bytesOut,
                framesIn: s1.framesIn - stats0.framesIn,
                dataFramesOut: s1.dataFramesOut - stats0.dataFramesOut,
                transportReads: (s1.transportReads ?? 0) - (stats0.transportReads ?? 0),
                transportWrites: (s1.transportWrites ?? 0) - (stats0.transportWrites ?? 0),
                retransmissions: s1.retransmissions - stats0.retransmissions,
                timeouts: s1.timeouts - stats0.timeouts,
                fastRetransmits: s1.fastRetransmits - stats0.fastRetransmits,
              }),
          });
          return {
            st: st?.state ?? 'TEST_BOOTING',
            mver: st?.modelVersion ?? art.modelVersion,
            ...(st?.activeSlot !== undefined && { aslot: st.activeSlot }),
          };
        }
        case 'failed':
          throw new ProtocolError(step.code, step.text);
      }
      // Resume needs one fact from the job file (§4.6.1): the device may be on trial, so it is probed, not
      // offered (saveTrial, before OTA_TEST_BOOT). Every other state, the states after the trial included,
      // is re-learnt from the device's answer to the probe or the re-offer, so nothing else is written.
    } catch (e) {
      const detached = e instanceof GatewayError && e.code === 'NOT_ATTACHED';
      const timedOut = e instanceof GatewayError && e.code === 'TIMEOUT';
      const badState = isProtocolError(e) && (e.code === 'BAD_STATE' || e.code === 'BUSY');
      if (env.stopped()) throw stopping();
      if (!detached && !timedOut && !badState) throw e;
      env.log.info('ota step interrupted; resuming from the device state', {
        device: dev,
        step: step.kind,
        reason: e instanceof Error ? e.message : String(e),
      });
      // §4.6.1 Resume: re-offer; the device's answer (with `have`) tells what is missing. A device that
      // may be on trial is probed instead (an offer would be BAD_STATE); if it rebooted it answers
      // REVERTED. A probe answered BAD_STATE: the device has no transfer of this `sha`, offer it.
      if (probing && badState) mayBeOnTrial = false;
      st = undefined;
      probe = mayBeOnTrial;
      if (badState) await sleep(50);
    }
  }
}

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
import { nextStep, progressKey, sameBytes } from './steps.js';
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
    readonly retransmissions: number;
    readonly timeouts: number;
    readonly fastRetransmits: number;
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
  /** Persists the device's state for this job when resume needs it (TEST_BOOTING and the state after). */
  readonly saveState: (state: OtaStateName) => Promise<void>;
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
  // The device's link time for this transfer: from the first request handed to its link to its final
  // report (offer, every block, its flash writes, verify, test boot, confirm). bench:ota reads it.
  const startedMs = performance.now();
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

  /** Sends `m` once the link has room, then waits for the OTA_STATUS or ERROR that answers it. */
  async function request(m: Message, timeoutMs: number): Promise<OtaStatus> {
    for (;;) {
      const d = await attached();
      if (d.send(m)) break;
      await sleep(5);
    }
    const id = messageIdHex(m.id);
    const r = await env.replies.wait(
      dev,
      (x) =>
        (x.type === 'OTA_STATUS' &&
          (x.re !== undefined
            ? messageIdHex(x.re) === id
            : x.state === 'IDLE' || sameBytes(x.sha256, sha))) ||
        (x.type === 'ERROR' && x.re !== undefined && messageIdHex(x.re) === id),
      timeoutMs,
    );
    if (r.type === 'ERROR') throw new ProtocolError(codeName(r.code), r.text ?? `device error ${r.code}`);
    if (r.type !== 'OTA_STATUS') throw new ProtocolError('INTERNAL', 'unexpected reply');
    return r;
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
        // the queue holds `linkWindowBlocks` blocks, ~0.4 s of a 921600-baud line: no need to poll faster
        await sleep(10);
      }
      blocksSent++;
    }
  }

  // After a gateway restart, a device on trial must not be offered again (§4.6.1: BAD_STATE).
  let st: OtaStatus | undefined =
    last === 'TEST_BOOTING'
      ? { type: 'OTA_STATUS', id: new Uint8Array(8), state: last, sha256: sha }
      : undefined;
  let stalls = 0;
  let before = '';
  let saved = last;
  for (;;) {
    const step = nextStep(st, sha, nb, job.confirm);
    const key = `${step.kind}:${progressKey(st)}`;
    stalls = key === before ? stalls + 1 : 0;
    before = key;
    if (stalls > t.maxStalls) throw new ProtocolError('TIMEOUT', `no progress on ${dev} (${key})`);
    mark(step.kind);
    try {
      switch (step.kind) {
        case 'offer':
          // §4.6.2: mver from the artifact header, kid from its envelope (all zero when unsigned).
          st = await request(
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
          break;
        case 'blocks':
          await sendBlocks(step.missing);
          mark('blocks-queued');
          st = await request({ type: 'OTA_COMMIT', ...base() }, t.verifyMs);
          break;
        case 'commit':
          st = await request({ type: 'OTA_COMMIT', ...base() }, t.verifyMs);
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
            linkMs: Math.round((performance.now() - startedMs) * 1000) / 1000,
            bytes: size,
            blocksSent,
            resumed: last !== undefined,
            // when each step's request was handed to the link, ms after the start
            stepsMs: marks,
            ...(stats0 &&
              s1 && {
                wireBytesOut: s1.bytesOut - stats0.bytesOut,
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
      // Resume needs one fact from the job file (§4.6.1): the device is on trial, so it must not be offered
      // again. Every other state is re-learnt from the device's answer to the re-offer, so only entering
      // and leaving TEST_BOOTING is written (two fsyncs each, on libuv's thread pool so that the other
      // devices' links on this gateway do not wait for them).
      if (st.state === 'TEST_BOOTING' || saved === 'TEST_BOOTING') {
        saved = st.state;
        await env.saveState(st.state); // durable before the next request; off the event loop
      }
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
      // §4.6.1 Resume: re-offer; the device's answer (with `have`) tells what is missing. A device on
      // trial keeps its state (an offer would be BAD_STATE); if it rebooted it answers REVERTED.
      if (st?.state !== 'TEST_BOOTING') st = undefined;
      if (badState) await sleep(50);
    }
  }
}

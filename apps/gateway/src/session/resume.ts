/**
 * Resuming the sample streams of a restarted gateway (PROTOCOL.md §4.4.8). For each session recorded
 * in the journal (streams.ts) that this daemon does not stream, once its device has said HELLO: a
 * device with another boot counter lost it; otherwise the gateway asks where the device is with a
 * TRAIN_CONFIG carrying only `sid` (§4.4.4: TRAIN_STATUS RUNNING with `step`, `n`, or BAD_STATE when not
 * running), and on BAD_STATE with a TRAIN_STOP (§4.4.3: the final TRAIN_STATUS again, or BAD_STATE for
 * a session the device does not know). A running session streams again from the device's count, in the
 * source's deterministic order (data sets are index-based; a live source with the samples posted after the
 * restart, those queued in memory before it are gone); nothing is sent before the device's next
 * SAMPLE_CREDIT, whose `next` says which samples it already has (§4.3). A lost session ends with a
 * reason, reported to the cloud as a failed GW_COMMAND_RESULT of the command that started it.
 */
import { isProtocolError } from '@tinyfleet/protocol/errors';
import {
  encodeMessage,
  type GwCommand,
  randomMessageId,
  type TrainStatus,
} from '@tinyfleet/protocol/messages';
import { topicFor } from '@tinyfleet/protocol/mqtt';
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { SessionRow, SessionSpec } from '../outbox/index.js';
import type { SampleSource, SessionFeed } from '../sources/index.js';
import { fail, resultOf } from './outcome.js';
import { type AttachedDevice, requestTrain } from './request.js';
import type { SampleStreamer } from './streamer.js';
import type { Streams } from './streams.js';
import type { Replies } from './waiters.js';

export interface ResumeContext {
  readonly gatewayId: string;
  readonly streams: Streams;
  readonly replies: Replies;
  readonly device: (deviceId: string) => AttachedDevice | undefined;
  readonly sources: { get(name: string): SampleSource | undefined };
  readonly replyTimeoutMs: number;
  /** Commits a GW_COMMAND_RESULT to the outbox (kept, §2.4 item 3). */
  readonly report: (topic: string, payload: Uint8Array) => void;
  readonly log: Logger;
  readonly streamer: (
    device: string,
    sid: number,
    feed: SessionFeed,
    spec: SessionSpec,
    startAt: number,
  ) => SampleStreamer;
}

export class Resumer {
  readonly #c: ResumeContext;
  readonly #busy = new Set<string>();

  constructor(c: ResumeContext) {
    this.#c = c;
  }

  /** `device` finished its HELLO (§4.2) with boot counter `boot`: its recorded sessions resume. */
  async deviceReady(device: string, boot: number): Promise<void> {
    // §4.2 item 4: a HELLO with another boot counter: the device restarted; its sessions are gone.
    for (const s of this.#c.streams.of(device)) {
      const at = this.#c.streams.spec(device, s.sessionId);
      if (at?.boot !== undefined && at.boot !== boot)
        this.lost(
          device,
          s.sessionId,
          at.spec,
          `device ${device} rebooted (boot ${at.boot} -> ${boot}) and lost the session`,
        );
    }
    const rows = this.#c.streams.journal?.list() ?? [];
    for (const row of rows) {
      const key = `${row.device}:${row.sid}`;
      if (row.device !== device || this.#c.streams.get(device, row.sid) || this.#busy.has(key)) continue;
      this.#busy.add(key);
      try {
        await this.#resume(row, boot);
      } catch (e) {
        // The link went down, or no answer: the record stays, the device's next HELLO tries again.
        this.#c.log.warn('cannot resume training session yet', { device, sid: row.sid, error: errorText(e) });
      } finally {
        this.#busy.delete(key);
      }
    }
  }

  async #resume(row: SessionRow, boot: number): Promise<void> {
    const { device, sid, spec } = row;
    // §4.2 item 4: another boot counter means the device restarted, and its sessions are gone.
    if (row.boot !== undefined && row.boot !== boot) {
      this.lost(
        device,
        sid,
        spec,
        `device ${device} rebooted (boot ${row.boot} -> ${boot}) and lost the session`,
      );
      return;
    }
    const d = this.#c.device(device);
    if (!d) return;
    const source = this.#c.sources.get(spec.source);
    // A live feed goes on from the device's count with the samples posted from now on (sources/live.ts).
    let why = source === undefined ? `data source ${spec.source} is no longer configured` : undefined;
    // The feed is ready before the device answers: the SAMPLE_CREDIT that follows it (§4.4.4) is used.
    let feed: SessionFeed | undefined;
    try {
      if (why === undefined) feed = await source?.open(spec.input);
    } catch (e) {
      why = `data source ${spec.source}: ${errorText(e)}`;
    }
    let st: TrainStatus | undefined;
    try {
      st = await this.#where(device, d, sid);
    } catch (e) {
      feed?.close();
      throw e;
    }
    if (st === undefined || st.state !== 'RUNNING' || feed === undefined) feed?.close();
    if (st === undefined) {
      this.lost(device, sid, spec, `device ${device} no longer knows the session (BAD_STATE)`);
      return;
    }
    if (st.state !== 'RUNNING') {
      // It ended while the gateway was away; its final TRAIN_STATUS went up with the answer.
      this.#c.streams.end(device, sid);
      this.#c.log.info('training session ended while the gateway was away', { device, sid, st: st.state });
      return;
    }
    if (feed === undefined) {
      await this.#stop(device, d, sid).catch(() => {});
      this.lost(device, sid, spec, why ?? `data source ${spec.source} cannot be opened`);
      return;
    }
    const streamer = this.#c.streamer(device, sid, feed, spec, st.samplesSeen);
    this.#c.streams.add(device, streamer, spec, boot);
    streamer.start();
    this.#c.log.info('training session resumed', { device, sid, source: spec.source, at: st.samplesSeen });
  }

  /** The device's state of `sid`: RUNNING or final, or undefined when it does not know it (§4.4.8). */
  async #where(device: string, d: AttachedDevice, sid: number): Promise<TrainStatus | undefined> {
    const timeout = this.#c.replyTimeoutMs;
    try {
      const m = { type: 'TRAIN_CONFIG', id: randomMessageId(), ts: Date.now(), sessionId: sid } as const;
      return await requestTrain(this.#c.replies, device, d, m, timeout);
    } catch (e) {
      if (!isProtocolError(e) || e.code !== 'BAD_STATE') throw e;
    }
    try {
      return await this.#stop(device, d, sid);
    } catch (e) {
      if (isProtocolError(e) && e.code === 'BAD_STATE') return undefined;
      throw e;
    }
  }

  #stop(device: string, d: AttachedDevice, sid: number): Promise<TrainStatus> {
    const m = { type: 'TRAIN_STOP', id: randomMessageId(), ts: Date.now(), sessionId: sid } as const;
    return requestTrain(this.#c.replies, device, d, m, this.#c.replyTimeoutMs);
  }

  /**
   * The device lost session `sid`: its stream and record end, and the cloud learns why from a failed
   * GW_COMMAND_RESULT of the command that started it (§4.4.8, §4.7.3), committed to the outbox.
   */
  lost(device: string, sid: number, spec: SessionSpec, reason: string): void {
    this.#c.streams.end(device, sid, reason);
    const cmd = {
      id: new Uint8Array(Buffer.from(spec.commandMsgId, 'hex')),
      commandId: spec.cid,
    } as GwCommand;
    const result = resultOf(cmd, device, fail('BAD_STATE', reason));
    this.#c.report(topicFor('GW_COMMAND_RESULT', { gatewayId: this.#c.gatewayId }), encodeMessage(result));
  }
}

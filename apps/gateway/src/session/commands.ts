/**
 * GW_COMMAND execution (PROTOCOL.md §4.7.2): at most once per command id (§2.5 item 3, recorded in the
 * ledger), one GW_COMMAND_RESULT per target, committed with the ledger entry to the outbox. Training
 * commands become TRAIN_START / TRAIN_STOP / TRAIN_CONFIG on the serial link (§4.4), and a started
 * session streams samples from a data source (§4.3).
 */
import { ErrorCode } from '@tinyfleet/protocol/constants';
import { isProtocolError } from '@tinyfleet/protocol/errors';
import {
  encodeMessage,
  type GwCommand,
  type GwCommandResult,
  type Message,
  messageIdHex,
  type Value,
} from '@tinyfleet/protocol/messages';
import { topicFor } from '@tinyfleet/protocol/mqtt';
import { errorText, GatewayError } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { CommandLedger, SessionJournal } from '../outbox/index.js';
import { type SampleSource, SourceError } from '../sources/index.js';
import { fail, type Outcome, resultOf } from './outcome.js';
import type { AttachedDevice } from './request.js';
import { Resumer } from './resume.js';
import { type SessionInfo, Streams } from './streams.js';
import { TrainCommands } from './train.js';
import { Replies } from './waiters.js';

export type { AttachedDevice } from './request.js';
export type { SessionInfo } from './streams.js';

export interface CommandRunnerOptions {
  readonly gatewayId: string;
  readonly ledger: CommandLedger;
  readonly device: (deviceId: string) => AttachedDevice | undefined;
  readonly sources: { get(name: string): SampleSource | undefined };
  readonly defaultSource: string;
  /** Samples per second per session; 0 = as fast as credit allows. */
  readonly sampleRate: number;
  readonly replyTimeoutMs: number;
  readonly publishStatus: () => void;
  /** Commits a recorded result to the outbox again. */
  readonly republish: (topic: string, payload: Uint8Array) => void;
  /** New results were committed to the outbox. */
  readonly flushed: () => void;
  readonly log: Logger;
  /** Durable record of running sessions, resumed after a restart (§4.4.8); none: kept in memory only. */
  readonly journal?: SessionJournal;
  /** The device's boot counter (HELLO `boot`), recorded with a session it starts. */
  readonly bootOf?: (deviceId: string) => number | undefined;
  /** `ota.job` (PROTOCOL.md §4.7.2): one target's delivery, and the end of a command (src/ota). */
  readonly ota?: {
    execute(cmd: GwCommand, dev: string | undefined): Promise<Value>;
    finished(commandMsgId: string): void;
  };
}

const FINAL = new Set(['STOPPED', 'DONE', 'FAILED']);

export class CommandRunner {
  readonly #o: CommandRunnerOptions;
  readonly #replies = new Replies();
  readonly #streams: Streams;
  readonly #resumer: Resumer;
  readonly #train: TrainCommands;
  #stopped = false;

  constructor(o: CommandRunnerOptions) {
    this.#o = o;
    this.#streams = new Streams({ ...(o.journal && { journal: o.journal }), log: o.log });
    this.#train = new TrainCommands(o, this.#streams, this.#replies);
    this.#resumer = new Resumer({
      gatewayId: o.gatewayId,
      streams: this.#streams,
      replies: this.#replies,
      device: o.device,
      sources: o.sources,
      replyTimeoutMs: o.replyTimeoutMs,
      report: (topic, payload) => {
        o.republish(topic, payload);
        o.flushed();
      },
      log: o.log,
      streamer: (dev, sid, feed, spec, startAt) => this.#train.streamer(dev, sid, feed, spec, startAt),
    });
  }

  get sessions(): SessionInfo[] {
    return this.#streams.sessions;
  }

  /** A GW_COMMAND from the cloud. A repeated id republishes the recorded results (§2.5 item 3). */
  handle(cmd: GwCommand): void {
    const key = messageIdHex(cmd.id);
    const known = this.#o.ledger.get(key);
    if (known) {
      if (known.state === 'done') {
        // Same bytes, same ids: the cloud deduplicates (§2.5 item 1).
        const topic = topicFor('GW_COMMAND_RESULT', { gatewayId: this.#o.gatewayId });
        for (const r of known.results) this.#o.republish(topic, r);
      }
      return;
    }
    this.#o.ledger.begin(key, cmd.commandId);
    void this.#run(cmd, key);
  }

  /**
   * A command made on this gateway (the local CLI): executed and recorded like a cloud command, its
   * results go to the cloud through the outbox (§4.7.3) and are returned here.
   */
  async runLocal(cmd: GwCommand): Promise<GwCommandResult[]> {
    const key = messageIdHex(cmd.id);
    this.#o.ledger.begin(key, cmd.commandId);
    return this.#run(cmd, key);
  }

  async #run(cmd: GwCommand, key: string): Promise<GwCommandResult[]> {
    const targets: (string | undefined)[] = cmd.targets.length === 0 ? [undefined] : cmd.targets;
    const outcomes = await Promise.all(targets.map((t) => this.#one(cmd, t)));
    const results = outcomes.map((o, i) => resultOf(cmd, targets[i], o));
    // An `ota.job` cut short by a stop stays running in the ledger; the next start resumes it (src/ota).
    if (this.#stopped && cmd.command === 'ota.job') return results;
    const topic = topicFor('GW_COMMAND_RESULT', { gatewayId: this.#o.gatewayId });
    this.#o.ledger.finish(
      key,
      results.map((r) => ({ topic, payload: encodeMessage(r) })),
    );
    if (cmd.command === 'ota.job') this.#o.ota?.finished(key);
    this.#o.flushed();
    return results;
  }

  /** Runs again a command the ledger holds as running (an `ota.job` after a gateway restart). */
  resume(cmd: GwCommand): void {
    void this.#run(cmd, messageIdHex(cmd.id));
  }

  async #one(cmd: GwCommand, dev: string | undefined): Promise<Outcome> {
    try {
      if (cmd.deadline !== undefined && Date.now() > cmd.deadline) return fail('TIMEOUT', 'deadline passed');
      if (cmd.command === 'status') {
        this.#o.publishStatus();
        return { ok: true };
      }
      if (cmd.command === 'ota.job' && this.#o.ota)
        return { ok: true, result: await this.#o.ota.execute(cmd, dev) };
      if (!cmd.command.startsWith('train.'))
        return fail('UNKNOWN_TYPE', `command ${cmd.command} not supported`);
      if (dev === undefined) return fail('BAD_FIELD', `${cmd.command} needs target devices`);
      const d = this.#o.device(dev);
      if (!d) return fail('LINK_DOWN', `device ${dev} is not attached`);
      const timeoutMs = this.#timeout(cmd);
      switch (cmd.command) {
        case 'train.start':
          return await this.#train.start(cmd, dev, d, timeoutMs);
        case 'train.stop':
          return await this.#train.stop(cmd, dev, d, timeoutMs);
        case 'train.config':
          return await this.#train.config(cmd, dev, d, timeoutMs);
        default:
          return fail('UNKNOWN_TYPE', `command ${cmd.command} not supported`);
      }
    } catch (e) {
      if (isProtocolError(e)) return fail(e.code, e.message);
      if (e instanceof SourceError) return fail(e.wire, e.message);
      if (e instanceof GatewayError && e.code === 'TIMEOUT') return fail('TIMEOUT', e.message);
      if (e instanceof GatewayError && e.code === 'NOT_ATTACHED') return fail('LINK_DOWN', e.message);
      this.#o.log.error('command failed', { cid: cmd.commandId, device: dev, error: errorText(e) });
      return fail('INTERNAL', errorText(e));
    }
  }

  #timeout(cmd: GwCommand): number {
    const left = cmd.deadline === undefined ? Number.POSITIVE_INFINITY : cmd.deadline - Date.now();
    return Math.max(1, Math.min(this.#o.replyTimeoutMs, left));
  }

  /** Every message of an attached device passes here (replies, credit, session ends). */
  onDeviceMessage(dev: string, m: Message): void {
    this.#replies.offer(dev, m);
    if (m.type === 'SAMPLE_CREDIT') this.#streams.get(dev, m.sessionId)?.credit(m.nextSeq, m.credit);
    else if (m.type === 'TRAIN_STATUS' && FINAL.has(m.state)) this.#streams.end(dev, m.sessionId);
    else if (m.type === 'ERROR' && m.code === ErrorCode.INCOMPATIBLE) {
      // §4.3 item 4: the samples do not match the model input (shape, xs, xz); resending cannot help.
      this.#streams.endDevice(dev, `device ${dev}: INCOMPATIBLE ${m.text ?? ''}`.trim());
    } else if (m.type === 'ERROR' && (m.code === ErrorCode.OUT_OF_RANGE || m.code === ErrorCode.BUSY)) {
      // §4.3 item 3: a gap or an over-limit batch; resend from the latest credit's `next`.
      for (const s of this.#streams.of(dev)) s.rewind();
    }
  }

  /** The device's link session ended: pending replies fail; streams rewind to the last credit. */
  onDeviceDetached(dev: string): void {
    this.#replies.fail(dev, new GatewayError('NOT_ATTACHED', `device ${dev} detached`));
    for (const s of this.#streams.of(dev)) s.rewind();
  }

  /**
   * The device finished a HELLO (§4.2) with boot counter `boot`. A device that rebooted lost its sessions
   * (§4.2 item 4); sessions recorded before a gateway restart resume where the device is (§4.4.8).
   */
  onDeviceReady(dev: string, boot: number): void {
    if (!this.#stopped) void this.#resumer.deviceReady(dev, boot);
  }

  stop(): void {
    this.#stopped = true;
    this.#replies.clear();
    this.#streams.stop();
  }
}

/**
 * GW_COMMAND execution (PROTOCOL.md §4.7.2): at most once per command id (§2.5 item 3, recorded in the
 * ledger), one GW_COMMAND_RESULT per target, committed with the ledger entry to the outbox. Training
 * commands become TRAIN_START / TRAIN_STOP / TRAIN_CONFIG on the serial link (§4.4), and a started
 * session streams samples from a data source (§4.3).
 */
import { ErrorCode, P } from '@tinyfleet/protocol/constants';
import { isProtocolError, ProtocolError } from '@tinyfleet/protocol/errors';
import {
  encodeMessage,
  type GwCommand,
  type GwCommandResult,
  type Message,
  messageIdHex,
  randomMessageId,
  type Value,
} from '@tinyfleet/protocol/messages';
import { topicFor } from '@tinyfleet/protocol/mqtt';
import { errorText, GatewayError } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { CommandLedger } from '../outbox/index.js';
import { type SampleSource, SourceError } from '../sources/index.js';
import { inputArgs, sessionIdArg, startOnly, textArg, tunables, uintArg } from './args.js';
import { errorName, fail, type Outcome, resultOf } from './outcome.js';
import { SampleStreamer } from './streamer.js';
import { Replies } from './waiters.js';

/** A device the runner can talk to. */
export interface AttachedDevice {
  send(m: Message): boolean;
  readonly maxMessageBytes: number;
}

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
  /** `ota.job` (PROTOCOL.md §4.7.2): one target's delivery, and the end of a command (src/ota). */
  readonly ota?: {
    execute(cmd: GwCommand, dev: string | undefined): Promise<Value>;
    finished(commandMsgId: string): void;
  };
}

/** A session streaming to a device, or one whose stream failed (kept for the status endpoint). */
export interface SessionInfo {
  device: string;
  sid: number;
  source: string;
  progress: SampleStreamer['progress'];
  error?: string;
}

/** Envelope and keys of a SAMPLE_BATCH besides x and y, generously (§4.3.1); as in streamer.ts. */
const BATCH_OVERHEAD = 128;

const FINAL = new Set(['STOPPED', 'DONE', 'FAILED']);

export class CommandRunner {
  readonly #o: CommandRunnerOptions;
  readonly #replies = new Replies();
  readonly #streams = new Map<string, SampleStreamer>();
  readonly #sourceOf = new Map<string, string>();
  /** The latest failed streams (device:sid -> reason), newest last, at most 16. */
  readonly #failed = new Map<string, SessionInfo>();
  #stopped = false;

  constructor(o: CommandRunnerOptions) {
    this.#o = o;
  }

  get sessions(): SessionInfo[] {
    const running = [...this.#streams.entries()].map(([k, s]) => ({
      device: k.slice(0, k.lastIndexOf(':')),
      sid: s.sessionId,
      source: this.#sourceOf.get(k) ?? '',
      progress: s.progress,
    }));
    return [...running, ...this.#failed.values()];
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
      switch (cmd.command) {
        case 'train.start':
          return await this.#start(cmd, dev, d);
        case 'train.stop':
          return await this.#stop(cmd, dev, d);
        case 'train.config':
          return await this.#config(cmd, dev, d);
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

  /** Sends `m` and waits for TRAIN_STATUS of `sid` or an ERROR answering it (§4.4.2–§4.4.4). */
  async #request(dev: string, d: AttachedDevice, m: Message & { sessionId: number }, timeoutMs: number) {
    const wait = this.#replies.wait(
      dev,
      (r) =>
        (r.type === 'TRAIN_STATUS' && r.sessionId === m.sessionId) ||
        (r.type === 'ERROR' && r.re !== undefined && messageIdHex(r.re) === messageIdHex(m.id)),
      timeoutMs,
    );
    encodeMessage(m); // validate before anything goes out (§4.1.7): throws BAD_FIELD / OUT_OF_RANGE
    if (!d.send(m)) throw new ProtocolError('BUSY', `link queue of ${dev} is full`);
    const r = await wait;
    if (r.type === 'ERROR') throw new ProtocolError(errorName(r.code), r.text ?? `device error ${r.code}`);
    if (r.type !== 'TRAIN_STATUS') throw new ProtocolError('INTERNAL', 'unexpected reply');
    return r;
  }

  #timeout(cmd: GwCommand): number {
    const left = cmd.deadline === undefined ? Number.POSITIVE_INFINITY : cmd.deadline - Date.now();
    return Math.max(1, Math.min(this.#o.replyTimeoutMs, left));
  }

  async #start(cmd: GwCommand, dev: string, d: AttachedDevice): Promise<Outcome> {
    const sid = sessionIdArg(cmd.args);
    const srcName = textArg(cmd.args, 'src') ?? this.#o.defaultSource;
    const source = this.#o.sources.get(srcName);
    if (!source) throw new ProtocolError('BAD_FIELD', `args.src: no data source ${JSON.stringify(srcName)}`);
    const body: Record<string, unknown> = { ...tunables(cmd.args), ...startOnly(cmd.args) };
    const epochs = uintArg(cmd.args, 'epochs');
    const key = `${dev}:${sid}`;
    const existing = this.#streams.get(key);
    if (existing) return this.#restart(cmd, dev, d, sid, body);
    // Open the source before the device hears of the session: a missing data set, float inputs
    // without the model's xs/xz, or a shape other than the model input's fail here (§4.3 item 4).
    const feed = await source.open(inputArgs(cmd.args));
    const per = feed.shape.reduce((a, b) => a * b, 1);
    if (per + 1 + BATCH_OVERHEAD > d.maxMessageBytes || per > P.MESSAGE_MAX_TENSOR_BYTES) {
      feed.close();
      throw new ProtocolError(
        'TOO_LARGE',
        `a sample of ${srcName} (${per} bytes) does not fit a message of ${dev} (mmsg ${d.maxMessageBytes})`,
      );
    }
    // §4.7.2: smax = epochs x the source's size when epochs is given and smax is not.
    if (epochs !== undefined && body.maxSamples === undefined) {
      if (feed.size === 0) {
        feed.close();
        throw new ProtocolError('BAD_FIELD', `args.epochs: source ${srcName} is live (no epochs); use smax`);
      }
      body.maxSamples = epochs * feed.size;
    }
    // The device's first SAMPLE_CREDIT follows its answer at once, so the streamer exists before we send.
    const streamer = new SampleStreamer({
      sessionId: sid,
      feed,
      rate: this.#o.sampleRate,
      total: typeof body.maxSamples === 'number' ? body.maxSamples : 0,
      maxMessageBytes: d.maxMessageBytes,
      send: (msg) => this.#o.device(dev)?.send(msg) ?? false,
      onError: (e) => this.#endStream(key, `source ${srcName}: ${errorText(e)}`),
    });
    this.#streams.set(key, streamer);
    this.#sourceOf.set(key, srcName);
    this.#failed.delete(key);
    try {
      const r = await this.#request(dev, d, this.#trainStart(sid, body), this.#timeout(cmd));
      if (r.state !== 'RUNNING') {
        this.#endStream(key);
        return { ok: true, result: { sid, st: r.state } };
      }
      streamer.start();
      this.#o.log.info('training session running', { device: dev, sid, source: srcName });
      return { ok: true, result: { sid, st: r.state } };
    } catch (e) {
      this.#endStream(key);
      throw e;
    }
  }

  /** TRAIN_START for a session that already streams (a repeated start): the device answers its state. */
  async #restart(cmd: GwCommand, dev: string, d: AttachedDevice, sid: number, body: Record<string, unknown>) {
    const r = await this.#request(dev, d, this.#trainStart(sid, body), this.#timeout(cmd));
    return { ok: true as const, result: { sid, st: r.state } };
  }

  #trainStart(sid: number, body: Record<string, unknown>): Message & { sessionId: number } {
    return {
      type: 'TRAIN_START',
      id: randomMessageId(),
      ts: Date.now(),
      sessionId: sid,
      ...body,
    } as Message & {
      sessionId: number;
    };
  }

  async #stop(cmd: GwCommand, dev: string, d: AttachedDevice): Promise<Outcome> {
    const sid = sessionIdArg(cmd.args);
    const m = { type: 'TRAIN_STOP', id: randomMessageId(), ts: Date.now(), sessionId: sid } as const;
    const r = await this.#request(dev, d, m, this.#timeout(cmd));
    this.#endStream(`${dev}:${sid}`);
    return { ok: true, result: { sid, st: r.state, step: r.step, n: r.samplesSeen } };
  }

  async #config(cmd: GwCommand, dev: string, d: AttachedDevice): Promise<Outcome> {
    const sid = sessionIdArg(cmd.args);
    const m = {
      type: 'TRAIN_CONFIG',
      id: randomMessageId(),
      ts: Date.now(),
      sessionId: sid,
      ...tunables(cmd.args),
    } as Message & { sessionId: number };
    const r = await this.#request(dev, d, m, this.#timeout(cmd));
    return { ok: true, result: { sid, st: r.state } };
  }

  #endStream(key: string, error?: string): void {
    const s = this.#streams.get(key);
    s?.stop();
    this.#streams.delete(key);
    if (s && error !== undefined) {
      this.#o.log.error('sample stream failed', { key, error });
      this.#failed.set(key, {
        device: key.slice(0, key.lastIndexOf(':')),
        sid: s.sessionId,
        source: this.#sourceOf.get(key) ?? '',
        progress: s.progress,
        error,
      });
      for (const k of this.#failed.keys()) if (this.#failed.size > 16) this.#failed.delete(k);
    }
    this.#sourceOf.delete(key);
  }

  /** Every message of an attached device passes here (replies, credit, session ends). */
  onDeviceMessage(dev: string, m: Message): void {
    this.#replies.offer(dev, m);
    if (m.type === 'SAMPLE_CREDIT') this.#streams.get(`${dev}:${m.sessionId}`)?.credit(m.nextSeq, m.credit);
    else if (m.type === 'TRAIN_STATUS' && FINAL.has(m.state)) this.#endStream(`${dev}:${m.sessionId}`);
    else if (m.type === 'ERROR' && m.code === ErrorCode.INCOMPATIBLE) {
      // §4.3 item 4: the samples do not match the model input (shape, xs, xz); resending cannot help.
      for (const k of [...this.#streams.keys()])
        if (k.startsWith(`${dev}:`)) this.#endStream(k, `device ${dev}: INCOMPATIBLE ${m.text ?? ''}`.trim());
    } else if (m.type === 'ERROR' && (m.code === ErrorCode.OUT_OF_RANGE || m.code === ErrorCode.BUSY)) {
      // §4.3 item 3: a gap or an over-limit batch; resend from the latest credit's `next`.
      for (const [k, s] of this.#streams) if (k.startsWith(`${dev}:`)) s.rewind();
    }
  }

  /** The device's link session ended: pending replies fail; streams rewind to the last credit. */
  onDeviceDetached(dev: string): void {
    this.#replies.fail(dev, new GatewayError('NOT_ATTACHED', `device ${dev} detached`));
    for (const [k, s] of this.#streams) if (k.startsWith(`${dev}:`)) s.rewind();
  }

  /** The device rebooted (new boot counter, §4.2 item 4): its sessions are gone. */
  onDeviceRebooted(dev: string): void {
    for (const k of [...this.#streams.keys()]) if (k.startsWith(`${dev}:`)) this.#endStream(k);
  }

  stop(): void {
    this.#stopped = true;
    this.#replies.clear();
    for (const k of [...this.#streams.keys()]) this.#endStream(k);
  }
}

/**
 * GW_COMMAND execution (PROTOCOL.md §4.7.2): at most once per command id (§2.5 item 3, recorded in the
 * ledger), one GW_COMMAND_RESULT per target, committed with the ledger entry to the outbox. Training
 * commands become TRAIN_START / TRAIN_STOP / TRAIN_CONFIG on the serial link (§4.4), and a started
 * session streams samples from a data source (§4.3).
 */
import type { ErrorCodeName } from '@tinyfleet/protocol/constants';
import { ErrorCode } from '@tinyfleet/protocol/constants';
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
import { sessionIdArg, startOnly, textArg, tunables, uintArg } from './args.js';
import type { DataSource } from './source.js';
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
  readonly sources: ReadonlyMap<string, DataSource>;
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

type Outcome = { ok: true; result?: Value } | { ok: false; code: ErrorCodeName; text: string };

const FINAL = new Set(['STOPPED', 'DONE', 'FAILED']);

export class CommandRunner {
  readonly #o: CommandRunnerOptions;
  readonly #replies = new Replies();
  readonly #streams = new Map<string, SampleStreamer>();
  #stopped = false;

  constructor(o: CommandRunnerOptions) {
    this.#o = o;
  }

  get sessions(): { device: string; sid: number; progress: SampleStreamer['progress'] }[] {
    return [...this.#streams.entries()].map(([k, s]) => ({
      device: k.slice(0, k.lastIndexOf(':')),
      sid: s.sessionId,
      progress: s.progress,
    }));
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

  async #run(cmd: GwCommand, key: string): Promise<void> {
    const targets: (string | undefined)[] = cmd.targets.length === 0 ? [undefined] : cmd.targets;
    const outcomes = await Promise.all(targets.map((t) => this.#one(cmd, t)));
    // An `ota.job` cut short by a stop stays running in the ledger; the next start resumes it (src/ota).
    if (this.#stopped && cmd.command === 'ota.job') return;
    const topic = topicFor('GW_COMMAND_RESULT', { gatewayId: this.#o.gatewayId });
    const results = outcomes.map((o, i) => ({
      topic,
      payload: encodeMessage(this.#result(cmd, targets[i], o)),
    }));
    this.#o.ledger.finish(key, results);
    if (cmd.command === 'ota.job') this.#o.ota?.finished(key);
    this.#o.flushed();
  }

  /** Runs again a command the ledger holds as running (an `ota.job` after a gateway restart). */
  resume(cmd: GwCommand): void {
    void this.#run(cmd, messageIdHex(cmd.id));
  }

  #result(cmd: GwCommand, dev: string | undefined, o: Outcome): GwCommandResult {
    const base = {
      type: 'GW_COMMAND_RESULT' as const,
      id: randomMessageId(),
      ts: Date.now(),
      re: cmd.id,
      commandId: cmd.commandId,
      ...(dev !== undefined && { deviceId: dev }),
    };
    if (o.ok) return { ...base, ok: true, ...(o.result !== undefined && { result: o.result }) };
    return { ...base, ok: false, error: ErrorCode[o.code], text: o.text.slice(0, 256) };
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
    // §4.7.2: smax = epochs x the source's size when epochs is given and smax is not.
    if (epochs !== undefined && body.maxSamples === undefined) body.maxSamples = epochs * source.size;
    const m = {
      type: 'TRAIN_START',
      id: randomMessageId(),
      ts: Date.now(),
      sessionId: sid,
      ...body,
    } as Message & {
      sessionId: number;
    };
    const key = `${dev}:${sid}`;
    // The device's first SAMPLE_CREDIT follows its answer at once, so the streamer exists before we send.
    const existing = this.#streams.get(key);
    const streamer =
      existing ??
      new SampleStreamer({
        sessionId: sid,
        source,
        rate: this.#o.sampleRate,
        total: typeof body.maxSamples === 'number' ? body.maxSamples : 0,
        maxMessageBytes: d.maxMessageBytes,
        send: (msg) => this.#o.device(dev)?.send(msg) ?? false,
      });
    this.#streams.set(key, streamer);
    try {
      const r = await this.#request(dev, d, m, this.#timeout(cmd));
      if (r.state !== 'RUNNING') {
        this.#endStream(key);
        return { ok: true, result: { sid, st: r.state } };
      }
      if (!existing) streamer.start();
      this.#o.log.info('training session running', { device: dev, sid, source: source.name });
      return { ok: true, result: { sid, st: r.state } };
    } catch (e) {
      if (!existing) this.#endStream(key);
      throw e;
    }
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

  #endStream(key: string): void {
    this.#streams.get(key)?.stop();
    this.#streams.delete(key);
  }

  /** Every message of an attached device passes here (replies, credit, session ends). */
  onDeviceMessage(dev: string, m: Message): void {
    this.#replies.offer(dev, m);
    if (m.type === 'SAMPLE_CREDIT') this.#streams.get(`${dev}:${m.sessionId}`)?.credit(m.nextSeq, m.credit);
    else if (m.type === 'TRAIN_STATUS' && FINAL.has(m.state)) this.#endStream(`${dev}:${m.sessionId}`);
    else if (m.type === 'ERROR' && (m.code === ErrorCode.OUT_OF_RANGE || m.code === ErrorCode.BUSY)) {
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

function fail(code: ErrorCodeName, text: string): Outcome {
  return { ok: false, code, text };
}

function errorName(code: number): ErrorCodeName {
  const hit = Object.entries(ErrorCode).find(([, v]) => v === code);
  return (hit?.[0] as ErrorCodeName | undefined) ?? 'INTERNAL';
}

/**
 * The training commands of GW_COMMAND (PROTOCOL.md §4.7.2): `train.start` opens the data source, records
 * the session (§4.4.8), sends TRAIN_START (§4.4.2) and streams samples (§4.3); `train.stop` and
 * `train.config` send TRAIN_STOP (§4.4.3) and TRAIN_CONFIG (§4.4.4).
 */
import { P } from '@tinyfleet/protocol/constants';
import { ProtocolError } from '@tinyfleet/protocol/errors';
import { type GwCommand, type Message, messageIdHex, randomMessageId } from '@tinyfleet/protocol/messages';
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { SessionSpec } from '../outbox/index.js';
import type { SampleSource, SessionFeed } from '../sources/index.js';
import { inputArgs, sessionIdArg, startOnly, textArg, tunables, uintArg } from './args.js';
import type { Outcome } from './outcome.js';
import { type AttachedDevice, requestTrain } from './request.js';
import { SampleStreamer } from './streamer.js';
import type { Streams } from './streams.js';
import type { Replies } from './waiters.js';

/** Envelope and keys of a SAMPLE_BATCH besides x and y, generously (§4.3.1); as in streamer.ts. */
const BATCH_OVERHEAD = 128;

export interface TrainOptions {
  readonly device: (deviceId: string) => AttachedDevice | undefined;
  readonly sources: { get(name: string): SampleSource | undefined };
  readonly defaultSource: string;
  /** Samples per second per session; 0 = as fast as credit allows. */
  readonly sampleRate: number;
  /** The device's boot counter (HELLO `boot`), recorded with a session it starts. */
  readonly bootOf?: (deviceId: string) => number | undefined;
  readonly log: Logger;
}

export class TrainCommands {
  readonly #o: TrainOptions;
  readonly #streams: Streams;
  readonly #replies: Replies;

  constructor(o: TrainOptions, streams: Streams, replies: Replies) {
    this.#o = o;
    this.#streams = streams;
    this.#replies = replies;
  }

  async start(cmd: GwCommand, dev: string, d: AttachedDevice, timeoutMs: number): Promise<Outcome> {
    const sid = sessionIdArg(cmd.args);
    const srcName = textArg(cmd.args, 'src') ?? this.#o.defaultSource;
    const source = this.#o.sources.get(srcName);
    if (!source) throw new ProtocolError('BAD_FIELD', `args.src: no data source ${JSON.stringify(srcName)}`);
    const body: Record<string, unknown> = { ...tunables(cmd.args), ...startOnly(cmd.args) };
    const epochs = uintArg(cmd.args, 'epochs');
    if (this.#streams.get(dev, sid)) return this.#restart(dev, d, sid, body, timeoutMs);
    // Open the source before the device hears of the session: a missing data set, float inputs
    // without the model's xs/xz, or a shape other than the model input's fail here (§4.3 item 4).
    const input = inputArgs(cmd.args);
    const feed = await source.open(input);
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
    const spec: SessionSpec = {
      cid: cmd.commandId,
      commandMsgId: messageIdHex(cmd.id),
      source: srcName,
      input,
      total: typeof body.maxSamples === 'number' ? body.maxSamples : 0,
      rate: this.#o.sampleRate,
    };
    // The device's first SAMPLE_CREDIT follows its answer at once, so the streamer exists before we
    // send; its durable record too, so a crash from here on leaves a session to resume (§4.4.8).
    const streamer = this.streamer(dev, sid, feed, spec, 0);
    this.#streams.add(dev, streamer, spec, this.#o.bootOf?.(dev));
    try {
      const r = await requestTrain(this.#replies, dev, d, this.#trainStart(sid, body), timeoutMs);
      if (r.state !== 'RUNNING') {
        this.#streams.end(dev, sid);
        return { ok: true, result: { sid, st: r.state } };
      }
      streamer.start();
      this.#o.log.info('training session running', { device: dev, sid, source: srcName });
      return { ok: true, result: { sid, st: r.state } };
    } catch (e) {
      this.#streams.end(dev, sid);
      throw e;
    }
  }

  streamer(dev: string, sid: number, feed: SessionFeed, spec: SessionSpec, startAt: number): SampleStreamer {
    return new SampleStreamer({
      sessionId: sid,
      feed,
      rate: spec.rate,
      total: spec.total,
      maxMessageBytes: this.#o.device(dev)?.maxMessageBytes ?? 0,
      send: (msg) => this.#o.device(dev)?.send(msg) ?? false,
      onError: (e) => this.#streams.end(dev, sid, `source ${spec.source}: ${errorText(e)}`),
      startAt,
    });
  }

  /** TRAIN_START for a session that already streams (a repeated start): the device answers its state. */
  async #restart(
    dev: string,
    d: AttachedDevice,
    sid: number,
    body: Record<string, unknown>,
    timeoutMs: number,
  ) {
    const r = await requestTrain(this.#replies, dev, d, this.#trainStart(sid, body), timeoutMs);
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

  async stop(cmd: GwCommand, dev: string, d: AttachedDevice, timeoutMs: number): Promise<Outcome> {
    const sid = sessionIdArg(cmd.args);
    const m = { type: 'TRAIN_STOP', id: randomMessageId(), ts: Date.now(), sessionId: sid } as const;
    const r = await requestTrain(this.#replies, dev, d, m, timeoutMs);
    this.#streams.end(dev, sid);
    return { ok: true, result: { sid, st: r.state, step: r.step, n: r.samplesSeen } };
  }

  async config(cmd: GwCommand, dev: string, d: AttachedDevice, timeoutMs: number): Promise<Outcome> {
    const sid = sessionIdArg(cmd.args);
    const m = {
      type: 'TRAIN_CONFIG',
      id: randomMessageId(),
      ts: Date.now(),
      sessionId: sid,
      ...tunables(cmd.args),
    } as Message & { sessionId: number };
    const r = await requestTrain(this.#replies, dev, d, m, timeoutMs);
    return { ok: true, result: { sid, st: r.state } };
  }
}

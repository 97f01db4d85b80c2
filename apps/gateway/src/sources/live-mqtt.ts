/**
 * The MQTT feed of a `live` source (README.md "Sources"): a subscription on a site-local broker (a sensor
 * hub's mosquitto), with its own MQTT.js client: not the cloud uplink of PROTOCOL.md §2. Each message is
 * one `POST /samples` body as UTF-8 JSON, `{x, y}` or `{samples: [...]}`, validated by
 * `parseLiveSamples` and queued like the HTTP endpoint does. A message that is not such a body is dropped
 * whole, logged with its topic and the reason, and counted; the connection and other messages carry on.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { Backoff } from '../backoff.js';
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import { type LiveSample, type LiveSource, parseLiveSamples } from './live.js';
import { type LiveMqttConfig, SourceError } from './types.js';

export type LiveMqttState = 'connecting' | 'online' | 'offline' | 'stopped';

export interface LiveMqttStats {
  state: LiveMqttState;
  /** The broker URL without credentials. */
  url: string;
  topic: string;
  clientId: string;
  /** Connections that reached `online` (subscribed). */
  connects: number;
  /** Messages received; accepted ones had every sample queued, rejected ones were dropped whole. */
  received: number;
  accepted: number;
  rejected: number;
  /** Samples in the accepted messages. */
  samples: number;
  lastError?: string;
  /** `<topic>: <reason>` of the latest rejected message. */
  lastRejected?: string;
  /** While `offline`: the wait before the next attempt. */
  nextRetryMs?: number;
}

export interface LiveMqttOptions {
  /** A live source whose config has `mqtt`. */
  readonly source: LiveSource;
  readonly log: Logger;
  /** Reconnect backoff with jitter; default 1 s to 30 s. */
  readonly reconnect?: { readonly baseMs: number; readonly maxMs: number };
  readonly connectTimeoutMs?: number;
  /** Clock of the rejection log's window (tests). */
  readonly now?: () => number;
}

/**
 * Rejections logged one by one per window; beyond that they are only counted, and the next one logged
 * says how many went unlogged: a sensor publishing garbage all day must not flood the journal.
 */
export const REJECT_LOG = { perWindow: 10, windowMs: 10_000 } as const;

/** Largest message taken: the status server's limit on a POST body. */
const MAX_PAYLOAD_BYTES = 4 << 20;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url;
  }
}

/** Why a message is not a batch of samples for `source`, or its samples. */
function readMessage(payload: Uint8Array, retained: boolean, source: LiveSource): LiveSample[] | string {
  // MQTT-3.3.1-8: a retained message arrives at subscribe time, so it is a sample from before (again
  // after each reconnect): samples are events, not state.
  if (retained) return 'retained message (publish samples without retain)';
  if (payload.length > MAX_PAYLOAD_BYTES) return `payload larger than ${MAX_PAYLOAD_BYTES} bytes`;
  let body: unknown;
  try {
    body = JSON.parse(utf8.decode(payload));
  } catch (e) {
    return `not UTF-8 JSON: ${errorText(e)}`;
  }
  const named = (body as { source?: unknown } | null)?.source;
  if (named !== undefined && named !== source.name)
    return `source: this topic feeds live source ${source.name}`;
  try {
    return parseLiveSamples(body, source.config);
  } catch (e) {
    if (e instanceof SourceError) return e.message;
    throw e;
  }
}

export class LiveMqttFeed {
  readonly #source: LiveSource;
  readonly #mqtt: LiveMqttConfig;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  readonly #connectTimeoutMs: number;
  readonly #stats: LiveMqttStats;
  #client: MqttClient | undefined;
  #retry: NodeJS.Timeout | undefined;
  readonly #now: () => number;
  /** The rejection log's window: when it began, how many were logged in it, how many were not. */
  #logWindow = { start: Number.NEGATIVE_INFINITY, logged: 0, unlogged: 0 };

  constructor(o: LiveMqttOptions) {
    const m = o.source.config.mqtt;
    if (!m) throw new SourceError('BAD_STATE', `live source ${o.source.name} has no mqtt feed configured`);
    this.#source = o.source;
    this.#mqtt = m;
    this.#log = o.log;
    this.#backoff = new Backoff(o.reconnect ?? { baseMs: 1000, maxMs: 30_000 });
    this.#connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
    this.#now = o.now ?? Date.now;
    this.#stats = {
      state: 'offline',
      url: withoutCredentials(m.url),
      topic: m.topic,
      // A clean session under a client id of its own: two gateways on one hub never take over each
      // other's connection (MQTT-3.1.4-2).
      clientId: `tf-live-${o.source.name.slice(0, 32)}-${randomBytes(4).toString('hex')}`,
      connects: 0,
      received: 0,
      accepted: 0,
      rejected: 0,
      samples: 0,
    };
  }

  get source(): string {
    return this.#source.name;
  }

  get stats(): LiveMqttStats {
    return { ...this.#stats };
  }

  start(): void {
    if (this.#stats.state === 'offline' && !this.#client && !this.#retry) this.#connect();
  }

  /** Closes the client; no reconnect after this. */
  async stop(): Promise<void> {
    this.#stats.state = 'stopped';
    this.#stats.nextRetryMs = undefined;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = undefined;
    const c = this.#client;
    this.#client = undefined;
    // A subscriber with a clean session and no will has nothing to hand over: the socket just closes.
    if (c) await c.endAsync(true).catch(() => {});
  }

  #connect(): void {
    this.#retry = undefined;
    if (this.#stats.state === 'stopped') return;
    this.#stats.state = 'connecting';
    this.#stats.nextRetryMs = undefined;
    const m = this.#mqtt;
    const client = mqtt.connect(m.url, {
      protocolVersion: 4, // MQTT 3.1.1, as the uplink (PROTOCOL.md §2)
      clientId: this.#stats.clientId,
      clean: true,
      ...(m.username !== undefined && { username: m.username }),
      ...(m.password !== undefined && { password: m.password }),
      keepalive: 30,
      reconnectPeriod: 0, // reconnects are driven here, with backoff and jitter
      resubscribe: false, // subscribed on every connect below
      connectTimeout: this.#connectTimeoutMs,
    });
    this.#client = client;
    client.on('connect', () => {
      if (client === this.#client) void this.#subscribe(client);
    });
    client.on('message', (topic, payload, packet) => {
      if (client === this.#client) this.#onMessage(topic, payload, packet.retain);
    });
    client.on('error', (e) => {
      if (client === this.#client) this.#stats.lastError = errorText(e);
    });
    client.on('close', () => {
      if (client === this.#client) this.#lost(client);
    });
  }

  async #subscribe(client: MqttClient): Promise<void> {
    const m = this.#mqtt;
    try {
      const granted = await client.subscribeAsync(m.topic, { qos: m.qos });
      // MQTT 3.1.1 §3.9.3: return code 0x80 is a refusal (an ACL on the hub, say).
      if (granted.some((g) => g.qos === 128)) throw new Error(`subscription to ${m.topic} refused`);
      if (client !== this.#client) return;
      this.#stats.state = 'online';
      this.#stats.connects++;
      this.#backoff.reset();
      this.#log.info('live feed connected', { source: this.source, url: this.#stats.url, topic: m.topic });
    } catch (e) {
      if (client !== this.#client) return;
      this.#stats.lastError = errorText(e);
      this.#log.warn('live feed subscription failed', {
        source: this.source,
        topic: m.topic,
        error: this.#stats.lastError,
      });
      client.end(true); // 'close' follows: retried with backoff
    }
  }

  #lost(client: MqttClient): void {
    this.#client = undefined;
    client.end(true);
    if (this.#stats.state === 'stopped') return;
    // Said once per outage (the first failure after a success, or at start); retries are debug.
    const loud = this.#stats.state === 'online' || this.#backoff.attempts === 0;
    this.#stats.state = 'offline';
    const delay = this.#backoff.next();
    this.#stats.nextRetryMs = delay;
    this.#log[loud ? 'warn' : 'debug']('live feed connection lost', {
      source: this.source,
      url: this.#stats.url,
      error: this.#stats.lastError,
      retryMs: delay,
    });
    this.#retry = setTimeout(() => this.#connect(), delay);
  }

  #onMessage(topic: string, payload: Uint8Array, retained: boolean): void {
    this.#stats.received++;
    let read: LiveSample[] | string;
    let level: 'warn' | 'error' = 'warn';
    try {
      read = readMessage(payload, retained, this.#source);
    } catch (e) {
      read = `cannot read: ${errorText(e)}`; // not a bad message: a fault of ours, logged as an error
      level = 'error';
    }
    if (typeof read === 'string') {
      this.#stats.rejected++;
      this.#stats.lastRejected = `${topic}: ${read}`;
      this.#logRejected(topic, read, level);
      return;
    }
    this.#source.push(read);
    this.#stats.accepted++;
    this.#stats.samples += read.length;
  }

  #logRejected(topic: string, reason: string, level: 'warn' | 'error'): void {
    const w = this.#logWindow;
    const now = this.#now();
    if (now - w.start >= REJECT_LOG.windowMs) {
      w.start = now;
      w.logged = 0;
    }
    if (w.logged >= REJECT_LOG.perWindow) {
      w.unlogged++;
      return;
    }
    w.logged++;
    const unlogged = w.unlogged;
    w.unlogged = 0;
    this.#log[level]('live sample message rejected', {
      source: this.source,
      topic,
      reason,
      ...(unlogged > 0 && { unloggedBefore: unlogged }),
    });
  }
}

/** The MQTT feeds of the live sources that have `mqtt`: started and stopped with the daemon. */
export class LiveMqttFeeds {
  readonly #feeds: LiveMqttFeed[];

  constructor(sources: readonly LiveSource[], log: Logger) {
    this.#feeds = sources
      .filter((s) => s.config.mqtt !== undefined)
      .map((source) => new LiveMqttFeed({ source, log }));
  }

  start(): void {
    for (const f of this.#feeds) f.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.#feeds.map((f) => f.stop()));
  }

  /** By source name. */
  stats(): Record<string, LiveMqttStats> {
    return Object.fromEntries(this.#feeds.map((f) => [f.source, f.stats]));
  }
}

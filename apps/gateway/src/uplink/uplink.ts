/**
 * The cloud connection (PROTOCOL.md §2): MQTT.js with its own reconnect disabled (reconnectPeriod 0) and
 * driven here with exponential backoff and jitter (§2.6 item 5); presence by last will and retained
 * GW_STATUS (§2.3); every QoS 1 uplink goes through the durable outbox and is deleted only on PUBACK
 * (§2.4 item 3), so delivery is at least once and the cloud deduplicates by message id (§2.5).
 */
import { decodeMessage, type GwCommand, type Message } from '@tinyfleet/protocol/messages';
import {
  clientIdFor,
  gatewayIdentity,
  gatewaySubscriptions,
  parseTopic,
  statusTopic,
} from '@tinyfleet/protocol/mqtt';
import mqtt, { type MqttClient } from 'mqtt';
import { Backoff } from '../backoff.js';
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { EnqueueOptions, Outbox } from '../outbox/index.js';
import { offlineStatus, onlineStatus, type StatusFacts } from './status.js';

export type UplinkState = 'connecting' | 'online' | 'offline' | 'stopped';

export interface UplinkOptions {
  readonly url: string;
  readonly gatewayId: string;
  readonly password: string;
  readonly version: string;
  readonly outbox: Outbox;
  readonly log: Logger;
  /** PROTOCOL.md §2.6 item 5: 30 s for gateways. */
  readonly keepaliveS?: number;
  readonly reconnect?: { readonly baseMs: number; readonly maxMs: number };
  readonly connectTimeoutMs?: number;
  /** Outbox entries published and not yet acknowledged at once. */
  readonly inflight?: number;
  readonly facts: () => StatusFacts;
  readonly onCommand: (cmd: GwCommand) => void;
  /** Other downlinks (BLOCK_DATA on `down/block`, ERROR on `down/error`; PROTOCOL.md §2.1). */
  readonly onDownlink?: (msg: Message) => void;
  /** The session is up (subscribed, status published): §2.7 step 6 re-requests blocks in flight. */
  readonly onOnline?: () => void;
}

export interface UplinkStats {
  state: UplinkState;
  url: string;
  connects: number;
  connectedSinceMs: number | undefined;
  lastError: string | undefined;
  published: number;
  acked: number;
  nextRetryMs: number | undefined;
}

/** PROTOCOL.md §2.3 item 3: at most one status change per 5 s. */
const STATUS_MIN_INTERVAL_MS = 5000;
/** PROTOCOL.md §2.5 item 2: the cloud keeps ids 7 days; older outbox entries are dropped. */
export const OUTBOX_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export class Uplink {
  readonly #o: UplinkOptions;
  readonly #backoff: Backoff;
  readonly #inflight = new Set<number>();
  #client: MqttClient | undefined;
  #gen = 0;
  #cursor = 0;
  #since = 0;
  #retry: NodeJS.Timeout | undefined;
  #statusTimer: NodeJS.Timeout | undefined;
  #lastStatusMs = 0;
  #stats: UplinkStats;

  constructor(o: UplinkOptions) {
    this.#o = o;
    o.outbox.onDurable(() => this.#pump()); // lazily committed entries may go now
    this.#backoff = new Backoff(o.reconnect ?? { baseMs: 1000, maxMs: 60_000 });
    this.#stats = {
      state: 'offline',
      url: o.url,
      connects: 0,
      connectedSinceMs: undefined,
      lastError: undefined,
      published: 0,
      acked: 0,
      nextRetryMs: undefined,
    };
  }

  get state(): UplinkState {
    return this.#stats.state;
  }

  get stats(): UplinkStats {
    return { ...this.#stats };
  }

  start(): void {
    const dropped = this.#o.outbox.expire(Date.now() - OUTBOX_MAX_AGE_MS);
    if (dropped > 0) this.#o.log.warn('outbox entries older than 7 days dropped', { dropped });
    this.#connect();
  }

  /**
   * Commits a QoS 1 uplink to the outbox, then publishes it when online (PROTOCOL.md §2.4 item 3); a
   * `lazy` one once the outbox has made it durable (group commit, EnqueueOptions.lazy).
   */
  enqueue(topic: string, payload: Uint8Array, o: EnqueueOptions): void {
    this.#o.outbox.enqueue(topic, payload, o);
    this.#pump();
  }

  /** Entries were committed to the outbox by someone else (the command ledger): publish them. */
  kick(): void {
    this.#pump();
  }

  /**
   * QoS 1 uplinks that are not stored (BLOCK_REQUEST, §2.4: re-requested by §2.7 instead). Returns false
   * when offline.
   */
  publishNow(topic: string, payload: Uint8Array): boolean {
    if (this.#stats.state !== 'online' || !this.#client) return false;
    this.#client.publish(topic, Buffer.from(payload), { qos: 1, retain: false });
    return true;
  }

  /** QoS 0 messages (HEARTBEAT, §2.4): sent only while connected, never stored. */
  publishVolatile(topic: string, payload: Uint8Array): void {
    if (this.#stats.state !== 'online' || !this.#client) return;
    this.#client.publish(topic, Buffer.from(payload), { qos: 0, retain: false });
  }

  /** A retained GW_STATUS soon (PROTOCOL.md §2.3 item 3: at most every 5 s). */
  requestStatus(): void {
    if (this.#stats.state !== 'online' || this.#statusTimer) return;
    const wait = Math.max(0, this.#lastStatusMs + STATUS_MIN_INTERVAL_MS - Date.now());
    this.#statusTimer = setTimeout(() => {
      this.#statusTimer = undefined;
      void this.#publishStatus().catch(() => {});
    }, wait);
  }

  /** Orderly stop (PROTOCOL.md §2.3 item 4): online = false retained, then DISCONNECT. */
  async stop(): Promise<void> {
    const wasOnline = this.#stats.state === 'online';
    this.#stats.state = 'stopped';
    if (this.#retry) clearTimeout(this.#retry);
    if (this.#statusTimer) clearTimeout(this.#statusTimer);
    const c = this.#client;
    this.#client = undefined;
    if (!c) return;
    if (wasOnline) {
      const off = offlineStatus(this.#o.version, this.#since, Date.now());
      await Promise.race([
        c
          .publishAsync(statusTopic(this.#o.gatewayId), Buffer.from(off), { qos: 1, retain: true })
          .catch(() => {}),
        new Promise((r) => setTimeout(r, 2000)),
      ]);
      await Promise.race([c.endAsync(false), new Promise((r) => setTimeout(r, 2000))]).catch(() => {});
    }
    await c.endAsync(true).catch(() => {});
  }

  #connect(): void {
    if (this.#stats.state === 'stopped') return;
    this.#stats.state = 'connecting';
    this.#stats.nextRetryMs = undefined;
    const gen = ++this.#gen;
    this.#since = Date.now();
    const o = this.#o;
    const client = mqtt.connect(o.url, {
      protocolVersion: 4, // PROTOCOL.md §2: MQTT 3.1.1
      clientId: clientIdFor(gatewayIdentity(o.gatewayId)), // §2.6 item 3
      username: o.gatewayId,
      password: o.password,
      clean: false, // §2.4 item 4
      keepalive: o.keepaliveS ?? 30,
      reconnectPeriod: 0, // reconnects are ours, with backoff (§2.6 item 5)
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      queueQoSZero: false,
      // §2.3 item 1: will = GW_STATUS online=false, QoS 1, retained, with this connection's `since`.
      will: {
        topic: statusTopic(o.gatewayId),
        payload: Buffer.from(offlineStatus(o.version, this.#since)),
        qos: 1,
        retain: true,
      },
    });
    this.#client = client;
    client.on('connect', () => {
      if (gen === this.#gen) void this.#online(client, gen);
    });
    client.on('message', (topic, payload) => {
      if (gen === this.#gen) this.#onMessage(topic, new Uint8Array(payload));
    });
    client.on('error', (e) => {
      if (gen === this.#gen) this.#stats.lastError = errorText(e);
    });
    client.on('close', () => {
      if (gen === this.#gen) this.#lost(client);
    });
  }

  async #online(client: MqttClient, gen: number): Promise<void> {
    try {
      // §2.3 item 2: subscribe, wait for SUBACK, then status online before any other uplink.
      const granted = await client.subscribeAsync(gatewaySubscriptions(this.#o.gatewayId), { qos: 1 });
      const refused = granted.filter((g) => g.qos === 128);
      if (refused.length > 0)
        this.#o.log.error('subscription refused', { topics: refused.map((g) => g.topic) });
      if (gen !== this.#gen) return;
      this.#stats.state = 'online';
      this.#stats.connects++;
      this.#stats.connectedSinceMs = this.#since;
      this.#backoff.reset();
      this.#o.log.info('cloud connected', { url: this.#o.url, outbox: this.#o.outbox.size });
      await this.#publishStatus();
      this.#cursor = 0;
      this.#inflight.clear();
      this.#pump();
      this.#o.onOnline?.();
    } catch (e) {
      this.#o.log.warn('cloud session setup failed', { error: errorText(e) });
      client.end(true);
    }
  }

  async #publishStatus(): Promise<void> {
    const c = this.#client;
    if (!c || this.#stats.state !== 'online') return;
    this.#lastStatusMs = Date.now();
    const bytes = onlineStatus(this.#o.version, this.#since, this.#o.facts());
    await c.publishAsync(statusTopic(this.#o.gatewayId), Buffer.from(bytes), { qos: 1, retain: true });
  }

  #lost(client: MqttClient): void {
    client.removeAllListeners('connect');
    client.end(true);
    this.#client = undefined;
    this.#inflight.clear();
    if (this.#statusTimer) clearTimeout(this.#statusTimer);
    this.#statusTimer = undefined;
    if (this.#stats.state === 'stopped') return;
    const was = this.#stats.state;
    this.#stats.state = 'offline';
    const delay = this.#backoff.next();
    this.#stats.nextRetryMs = delay;
    this.#o.log[was === 'online' ? 'warn' : 'debug']('cloud connection lost', {
      error: this.#stats.lastError,
      retryMs: delay,
      outbox: this.#o.outbox.size,
    });
    this.#retry = setTimeout(() => this.#connect(), delay);
  }

  /** Publishes outbox entries oldest first, a window at a time; deletes each on its PUBACK. */
  #pump(): void {
    const c = this.#client;
    if (!c || this.#stats.state !== 'online') return;
    const max = this.#o.inflight ?? 32;
    const gen = this.#gen;
    while (this.#inflight.size < max) {
      const rows = this.#o.outbox.next(this.#cursor, max - this.#inflight.size);
      if (rows.length === 0) break;
      for (const r of rows) {
        this.#cursor = r.seq;
        this.#inflight.add(r.seq);
        this.#stats.published++;
        c.publish(r.topic, Buffer.from(r.payload), { qos: 1, retain: false }, (err) => {
          if (err || this.#stats.state === 'stopped') return; // kept; sent again after a reconnect (§2.4 item 3)
          this.#o.outbox.remove(r.seq);
          this.#stats.acked++;
          if (gen !== this.#gen) return;
          this.#inflight.delete(r.seq);
          this.#pump();
        });
      }
    }
  }

  #onMessage(topic: string, payload: Uint8Array): void {
    try {
      const parsed = parseTopic(topic);
      const msg = decodeMessage(payload);
      // PROTOCOL.md §2.1 rule 2: the envelope type must match the topic kind.
      if (msg.type !== parsed.message) throw new Error(`${msg.type} on a ${parsed.kind} topic`);
      if (msg.type === 'GW_COMMAND') this.#o.onCommand(msg);
      else if (this.#o.onDownlink) this.#o.onDownlink(msg);
      else this.#o.log.info('downlink message not handled yet', { topic, type: msg.type });
    } catch (e) {
      this.#o.log.warn('bad downlink message dropped', { topic, error: errorText(e) });
    }
  }
}

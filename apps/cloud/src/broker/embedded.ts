/**
 * The embedded broker: aedes 1.x on a TCP listener and a WebSocket listener, with the protocol's
 * identities and ACL (PROTOCOL.md §2.2) in its hooks. Uplinks are ingested inside `authorizePublish`,
 * before aedes sends the PUBACK, so a QoS 1 uplink is acknowledged only once it is durable (§2.5).
 * With an offloading ingestor (./ingest/offload.ts), GRAD_UPDATE is committed by a worker thread; the
 * hook's callback, hence the PUBACK, waits for that commit all the same.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, type Server } from 'node:net';
import { P } from '@tinyfleet/protocol/constants';
import { ProtocolError } from '@tinyfleet/protocol/errors';
import {
  checkPublish,
  describeIdentity,
  type Identity,
  maySubscribe,
  statusTopic,
} from '@tinyfleet/protocol/mqtt';
import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { Store } from '../store/index.js';
import type { Authenticator } from './auth.js';
import { guardPacketSize } from './guard.js';
import type { Ingestor } from './ingest/index.js';
import type { CloudMqtt, Log, PublishOptions } from './types.js';

export interface EmbeddedBrokerOptions {
  host?: string;
  /** TCP port; 0 picks a free one. */
  mqttPort: number;
  /** WebSocket port; 0 picks a free one; null: no WebSocket listener. */
  wsPort: number | null;
  authenticator: Authenticator;
  /** In-process ingestion; absent: a plain broker with auth and ACL (ingestion by a service client). */
  ingestor?: Ingestor | undefined;
  store: Store;
  /** How long a slow subscriber may block delivery before it is dropped (aedes `drainTimeout`). */
  drainTimeoutMs?: number;
  log?: Log;
}

/** Room for the fixed header, topic and packet id around the largest payload (PROTOCOL.md §2.6). */
const MAX_REMAINING_LENGTH = P.MQTT_MAX_PAYLOAD_BYTES + 1024;

type WillPacket = { topic: string; payload: Buffer; qos: number; retain: boolean };

function authError(code: 4 | 5, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: code }) as AuthenticateError;
}

export class EmbeddedBroker implements CloudMqtt {
  readonly mode = 'embedded';
  readonly mqttUrl: string;
  readonly wsUrl: string | undefined;
  readonly #aedes: Aedes;
  readonly #tcp: Server;
  readonly #ws: WebSocketServer | undefined;

  private constructor(aedes: Aedes, tcp: Server, ws: WebSocketServer | undefined, host: string) {
    this.#aedes = aedes;
    this.#tcp = tcp;
    this.#ws = ws;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    this.mqttUrl = `mqtt://${urlHost}:${(tcp.address() as AddressInfo).port}`;
    this.wsUrl = ws ? `ws://${urlHost}:${(ws.address() as AddressInfo).port}` : undefined;
  }

  static async start(o: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
    const host = o.host ?? '127.0.0.1';
    const log: Log = o.log ?? (() => {});
    const identities = new WeakMap<Client, Identity>();
    /** Payloads accepted (acknowledged) but refused by ingestion: never forwarded to subscribers. */
    const dropped = new WeakSet<object>();

    /**
     * Connections whose writes are held (corked) until the ingest batch in flight has committed: the
     * PUBACKs of one batch then leave in one write per connection instead of one each. The release is an
     * immediate queued after the ingestor's flush, so it runs once that batch's acknowledgements are out.
     * Answers from the ingest worker arrive in one message per batch: the connections are held again
     * before each acknowledgement, and released by the immediate after that message.
     */
    const held = new Set<Client['conn']>();
    const release = () => {
      for (const conn of held) if (!conn.destroyed) conn.uncork();
      held.clear();
    };
    const holdWrites = (conn: Client['conn']) => {
      if (held.has(conn) || conn.destroyed) return;
      if (held.size === 0) setImmediate(release);
      conn.cork();
      held.add(conn);
    };

    o.store.gateways.markAllOffline(); // presence restarts with the broker (PROTOCOL.md §2.3)
    await o.ingestor?.ready(); // an ingest worker thread, if any, so the first uplinks do not wait for it
    const aedes = await Aedes.createBroker({
      drainTimeout: o.drainTimeoutMs ?? 10_000,
      maxClientsIdLength: 128, // PROTOCOL.md §2.6 item 3: our client ids exceed 23 bytes
      authenticate(client, username, password, done) {
        try {
          const identity = o.authenticator.authenticate(client.id, username, password);
          // PROTOCOL.md §2.2 item 3: the will is checked like a PUBLISH when the CONNECT arrives.
          const will = (client as Client & { _will?: WillPacket | null })._will;
          if (will) checkPublish(identity, will);
          identities.set(client, identity);
          done(null, true);
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          log('warn', `mqtt: refused CONNECT of ${client.id}: ${msg}`);
          // CONNACK 0x04 for credentials, 0x05 otherwise (§2.2).
          done(authError(/credentials|names no identity/.test(msg) ? 4 : 5, msg), null);
        }
      },
      authorizePublish(client, packet, done) {
        const identity = client ? identities.get(client) : undefined;
        if (!identity) {
          // A will left by a previous broker run has no client: only a status may still go out.
          done(new ProtocolError('UNAUTHORIZED', 'publish without an identity'));
          return;
        }
        const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
        const attempt = { topic: packet.topic, qos: packet.qos, retain: packet.retain, payload };
        try {
          checkPublish(identity, attempt); // ACL, QoS, retain, size (PROTOCOL.md §2.2, §2.4, §2.6)
        } catch (e) {
          log('warn', `mqtt: refused PUBLISH of ${describeIdentity(identity)} on ${packet.topic}`, e);
          o.store.events.add({
            level: 'warn',
            kind: 'mqtt.publish_refused',
            gatewayId: identity.role === 'gateway' ? identity.gatewayId : null,
            message: e instanceof Error ? e.message : String(e),
            data: { topic: packet.topic },
          });
          done(e instanceof Error ? e : new Error(String(e))); // MQTT 3.1.1: close the connection (§2.2)
          return;
        }
        if (identity.role !== 'gateway' || !o.ingestor) {
          done(null);
          return;
        }
        o.ingestor.submit(identity.gatewayId, packet.topic, payload, (r) => {
          if (client) holdWrites(client.conn);
          if (r.status === 'failed') {
            done(new Error(`ingest failed: ${r.reason}`)); // no PUBACK: the gateway will resend
            return;
          }
          if (r.status === 'rejected') {
            dropped.add(payload);
            packet.retain = false;
          }
          done(null);
        });
        if (client) holdWrites(client.conn);
      },
      authorizeSubscribe(client, sub, done) {
        const identity = identities.get(client);
        if (identity && maySubscribe(identity, sub.topic)) {
          done(null, sub);
          return;
        }
        log('warn', `mqtt: refused SUBSCRIBE of ${client.id} to ${sub.topic}`);
        done(null, null); // SUBACK 0x80 for this filter only (§2.2 item 2)
      },
      authorizeForward(_client, packet) {
        return typeof packet.payload !== 'string' && dropped.has(packet.payload) ? null : packet;
      },
    });
    aedes.on('clientError', (client, err) => log('warn', `mqtt: client ${client.id}: ${err.message}`));

    const tcp = createServer((socket) => {
      socket.setNoDelay(true);
      aedes.handle(guardPacketSize(socket, MAX_REMAINING_LENGTH));
    });
    tcp.listen(o.mqttPort, host);
    await once(tcp, 'listening');

    let ws: WebSocketServer | undefined;
    if (o.wsPort !== null) {
      ws = new WebSocketServer({ host, port: o.wsPort, maxPayload: MAX_REMAINING_LENGTH + 8 });
      ws.on('connection', (socket, req) => {
        const stream = createWebSocketStream(socket);
        stream.on('error', () => {}); // reported through aedes as a client error
        aedes.handle(guardPacketSize(stream, MAX_REMAINING_LENGTH), req);
      });
      await once(ws, 'listening');
    }
    return new EmbeddedBroker(aedes, tcp, ws, host);
  }

  publish(topic: string, payload: Uint8Array, opts: PublishOptions): Promise<void> {
    const packet: PublishPacket = {
      cmd: 'publish',
      topic,
      payload: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength),
      qos: opts.qos,
      retain: opts.retain,
      dup: false,
    };
    return new Promise((resolve, reject) => this.#aedes.publish(packet, (e) => (e ? reject(e) : resolve())));
  }

  async disconnectGateway(gatewayId: string): Promise<void> {
    const clients = (this.#aedes as Aedes & { clients: Record<string, Client | undefined> }).clients;
    const client = clients[`gw-${gatewayId}`];
    if (client) await new Promise<void>((resolve) => client.close(() => resolve()));
    // PROTOCOL.md §2.3 item 6: an empty retained message removes the retained status.
    await this.publish(statusTopic(gatewayId), new Uint8Array(0), { qos: 1, retain: true });
  }

  async close(): Promise<void> {
    const closing = [
      new Promise<void>((resolve) => this.#tcp.close(() => resolve())),
      this.#ws ? new Promise<void>((resolve) => this.#ws?.close(() => resolve())) : Promise.resolve(),
    ];
    for (const c of this.#ws?.clients ?? []) c.terminate();
    await new Promise<void>((resolve) => this.#aedes.close(() => resolve()));
    await Promise.all(closing);
  }
}

/**
 * The gateway daemon wired together: device links (PROTOCOL.md §3, §4.2), the store-and-forward uplink
 * (§2.3–§2.5), command execution and training sessions (§4.3, §4.4, §4.7), and the local status endpoint.
 */
import { join } from 'node:path';
import type { MsgTypeName } from '@tinyfleet/protocol/constants';
import { encodeMessage, type Hello, type Message } from '@tinyfleet/protocol/messages';
import { routesOf, topicFor } from '@tinyfleet/protocol/mqtt';
import type { GatewayConfig } from '../config/index.js';
import { type DeviceEntry, DeviceManager } from '../device/index.js';
import { errorText } from '../errors.js';
import { type Logger, stderrLogger } from '../log/index.js';
import {
  type KeyMap,
  OtaService,
  type OtaServiceOptions,
  type OtaTimings,
  TrustedKeys,
} from '../ota/index.js';
import { SqliteStore } from '../outbox/index.js';
import { CommandRunner } from '../session/index.js';
import { LiveMqttFeeds, SourceSet } from '../sources/index.js';
import { type StatusServer, startStatusServer } from '../status/index.js';
import { serialOpener, type TransportOpener } from '../transport/index.js';
import { Uplink } from '../uplink/index.js';
import { localApi } from './local-api.js';
import { type DirLock, lockDataDir } from './lock.js';

export const GATEWAY_VERSION = '0.1.0';

/** PROTOCOL.md §2.4 item 3: never dropped when the outbox is full. */
const KEEP: ReadonlySet<MsgTypeName> = new Set<MsgTypeName>([
  'GW_COMMAND_RESULT',
  'GRAD_UPDATE',
  'OTA_STATUS',
]);

/**
 * PROTOCOL.md §4.4.8, §3.6.4 item 2: the device drops its copy of a training report once the serial link
 * acknowledges it, so such a report is durable in the outbox before that ack leaves (a FULL commit, before
 * the link's next transmit opportunity). Every other device message is committed lazily (group commit:
 * published once a WAL sync off the event loop made it durable, outbox/sqlite.ts), so that a status does
 * not stall the serial links of this gateway while the disk syncs.
 */
const DURABLE_BEFORE_ACK: ReadonlySet<MsgTypeName> = new Set<MsgTypeName>([
  'TRAIN_STATUS',
  'TRAIN_METRICS',
  'GRAD_UPDATE',
]);

export interface GatewayDeps {
  /** How port paths are opened; default serialport at the configured baud rate. */
  readonly open?: TransportOpener;
  readonly log?: Logger;
  /** Trusted signing keys in addition to the configured ones (tests, embedding). */
  readonly keys?: KeyMap;
  /** OTA step timeouts and the §2.7 transfer parameters (tests). */
  readonly ota?: {
    readonly timings?: Partial<OtaTimings>;
    readonly transfer?: OtaServiceOptions['transfer'];
  };
}

export class Gateway {
  readonly config: GatewayConfig;
  readonly devices: DeviceManager;
  readonly uplink: Uplink;
  readonly commands: CommandRunner;
  readonly ota: OtaService;
  readonly sources: SourceSet;
  readonly #store: SqliteStore;
  readonly #lock: DirLock;
  readonly #log: Logger;
  readonly #started = Date.now();
  /** Live sources fed from a site-local broker (`sources[].mqtt`), apart from the uplink. */
  readonly #liveFeeds: LiveMqttFeeds;
  #status: StatusServer | undefined;

  private constructor(config: GatewayConfig, deps: GatewayDeps) {
    this.config = config;
    this.#log = deps.log ?? stderrLogger(config.logLevel);
    this.#lock = lockDataDir(config.dataDir);
    try {
      this.#store = SqliteStore.open(join(config.dataDir, 'gateway.db'), {
        maxMessages: config.outboxMaxMessages,
        log: this.#log,
      });
    } catch (e) {
      this.#lock.release();
      throw e;
    }
    // Data sets load on the first session that uses them (src/sources).
    this.sources = new SourceSet(config.sources);
    const sources = this.sources;
    this.#liveFeeds = new LiveMqttFeeds(sources.liveSources(), this.#log.child({ component: 'live' }));
    this.uplink = new Uplink({
      url: config.mqtt.url,
      gatewayId: config.gatewayId,
      password: config.mqtt.password,
      version: GATEWAY_VERSION,
      outbox: this.#store,
      log: this.#log.child({ component: 'uplink' }),
      keepaliveS: config.mqtt.keepaliveS,
      reconnect: config.mqtt.reconnect,
      facts: () => ({
        uptimeMs: Date.now() - this.#started,
        outbox: this.#store.size,
        devices: this.devices.summaries(),
      }),
      onCommand: (c) => this.commands.handle(c),
      onDownlink: (m) => this.ota.onDownlink(m),
      onOnline: () => this.ota.online(),
    });
    const uplink = this.uplink;
    // PROTOCOL.md §4.7.2 `ota.job`: site cache, block transfer (§2.7) and delivery to devices (§4.6).
    this.ota = new OtaService({
      dataDir: config.dataDir,
      keys: new TrustedKeys({
        ...(config.keys.file !== undefined && { file: config.keys.file }),
        ...(config.keys.cloudApiUrl !== undefined && { cloudApiUrl: config.keys.cloudApiUrl }),
        ...(deps.keys && { fixed: deps.keys }),
        log: this.#log.child({ component: 'ota' }),
      }),
      allowUnsigned: config.keys.allowUnsigned,
      device: (id) => {
        const link = this.devices.get(id)?.link;
        return (
          link && {
            send: (m: Message) => link.send(m),
            get queuedBytes() {
              return link.queuedBytes;
            },
            get linkStats() {
              return link.stats;
            },
          }
        );
      },
      channel: {
        get online() {
          return uplink.state === 'online';
        },
        request: (r) =>
          this.uplink.publishNow(
            topicFor('BLOCK_REQUEST', { gatewayId: config.gatewayId }),
            encodeMessage({
              type: 'BLOCK_REQUEST',
              id: r.id,
              ts: Date.now(),
              objectId: r.objectId,
              size: r.size,
              blockSize: r.blockSize,
              wanted: r.wanted,
            }),
          ),
      },
      log: this.#log.child({ component: 'ota' }),
      ...(deps.ota?.timings && { timings: deps.ota.timings }),
      ...(deps.ota?.transfer && { transfer: deps.ota.transfer }),
    });
    this.commands = new CommandRunner({
      gatewayId: config.gatewayId,
      ledger: this.#store,
      device: (id) => {
        const e = this.devices.get(id);
        const link = e?.link;
        return e && link && { send: (m: Message) => link.send(m), maxMessageBytes: e.hello.maxMessageBytes };
      },
      sources,
      defaultSource: config.defaultSource,
      sampleRate: config.sampleRate,
      replyTimeoutMs: config.replyTimeoutMs,
      publishStatus: () => this.uplink.requestStatus(),
      republish: (topic, payload) => this.uplink.enqueue(topic, payload, { keep: true }),
      flushed: () => this.uplink.kick(),
      ota: this.ota,
      // PROTOCOL.md §4.4.8: running sessions are recorded in gateway.db and resume after a restart.
      journal: this.#store.sessions,
      bootOf: (id) => this.devices.get(id)?.hello.bootCounter,
      log: this.#log.child({ component: 'commands' }),
    });
    this.devices = new DeviceManager({
      ports: config.ports,
      open: deps.open ?? serialOpener({ baudRate: config.baudRate }),
      health: config.health,
      reopen: config.reopen,
      scanIntervalMs: config.scanIntervalMs,
      // PROTOCOL.md §3.9 (implementations MAY choose other timer values): RTO_MIN 200 ms on device links.
      // A serial line loses frames rarely and SACK repairs them at once (§3.5.7); with 20 ms, a device or
      // gateway that is descheduled for a few ms times out frames still queued on the line, and bench:ota
      // measured ~60 needless resends per device per 256 KiB update.
      // PROTOCOL.md §3.10: the gateway offers 1024-byte frames; the minimum rule (§3.6.2) gives each
      // device its own offer (256 on real UARTs by default, 1024 on the virtual MCU's clean pty).
      link: { minRtoMs: 200, maxFramePayload: 1024 },
      names: config.devices.names,
      ...(config.devices.heartbeatMs !== undefined && { heartbeatMs: config.devices.heartbeatMs }),
      log: this.#log.child({ component: 'devices' }),
      events: {
        hello: (h, raw) => this.#onHello(h, raw),
        message: (e, m, raw) => this.#onDeviceMessage(e, m, raw),
        detached: (e) => {
          this.commands.onDeviceDetached(e.deviceId);
          this.ota.onDeviceDetached(e.deviceId);
        },
        changed: () => this.uplink.requestStatus(),
      },
    });
  }

  /** Opens the data directory (exclusively), starts the links, the uplink and the status endpoint. */
  static async start(config: GatewayConfig, deps: GatewayDeps = {}): Promise<Gateway> {
    const gw = new Gateway(config, deps);
    try {
      if (config.status) {
        const posts = localApi({
          commands: gw.commands,
          sources: gw.sources,
          attached: () => gw.devices.list().flatMap((d) => (gw.devices.get(d.deviceId) ? [d.deviceId] : [])),
        });
        gw.#status = await startStatusServer(
          config.status.host,
          config.status.port,
          () => gw.snapshot(),
          posts,
        );
      }
    } catch (e) {
      gw.#store.close();
      gw.#lock.release();
      throw e;
    }
    gw.uplink.start();
    gw.#liveFeeds.start();
    gw.devices.start();
    gw.#resumeOta();
    gw.#log.info('gateway started', {
      gatewayId: config.gatewayId,
      version: GATEWAY_VERSION,
      dataDir: config.dataDir,
      status: gw.#status?.url,
    });
    return gw;
  }

  get statusUrl(): string | undefined {
    return this.#status?.url;
  }

  get outboxDepth(): number {
    return this.#store.size;
  }

  snapshot(): { healthy: boolean } & Record<string, unknown> {
    const cloud = this.uplink.stats;
    return {
      healthy: cloud.state === 'online',
      gatewayId: this.config.gatewayId,
      version: GATEWAY_VERSION,
      uptimeMs: Date.now() - this.#started,
      cloud,
      outbox: { depth: this.#store.size },
      devices: this.devices.list().map((d) => ({
        deviceId: d.deviceId,
        name: d.name,
        path: d.path,
        linked: this.devices.get(d.deviceId) !== undefined,
        state: d.state ?? null,
        boot: d.hello.bootCounter,
        core: d.hello.core,
        lastSeenMs: d.lastSeenMs,
      })),
      ports: this.devices.ports(),
      sessions: this.commands.sessions,
      sources: this.#sourceStats(),
    };
  }

  /** Each source's counters; a live source with an MQTT feed adds its connection and message counters. */
  #sourceStats(): Record<string, Record<string, unknown>> {
    const out: Record<string, Record<string, unknown>> = this.sources.stats();
    for (const [name, feed] of Object.entries(this.#liveFeeds.stats()))
      out[name] = { ...out[name], mqtt: feed };
    return out;
  }

  /** `ota.job`s running when the gateway stopped go on where their devices are (§2.5 item 3, §4.6.1). */
  #resumeOta(): void {
    for (const { key, cmd } of this.ota.pending()) {
      if (this.#store.get(key)?.state === 'running') {
        this.#log.info('resuming ota job', { cid: cmd.commandId });
        this.commands.resume(cmd);
      } else this.ota.finished(key);
    }
  }

  async stop(): Promise<void> {
    await this.#liveFeeds.stop();
    this.commands.stop();
    this.ota.stop();
    await this.#status?.close();
    await this.devices.stop();
    await this.uplink.stop();
    this.#store.close();
    this.#lock.release();
    this.#log.info('gateway stopped');
  }

  #onHello(h: Hello, raw: Uint8Array): void {
    // Once the HELLO is answered (HELLO_ACK queued, §4.2 item 1): a device with another boot counter
    // lost its sessions (§4.2 item 4); sessions recorded before a restart resume (§4.4.8).
    setImmediate(() => {
      if (this.devices.get(h.deviceId)?.hello.id === h.id)
        this.commands.onDeviceReady(h.deviceId, h.bootCounter);
    });
    // PROTOCOL.md §4.2 item 2: the HELLO is relayed to the cloud, byte for byte (§4.1.1 item 4).
    this.#relay(h.deviceId, 'HELLO', raw);
  }

  #onDeviceMessage(e: DeviceEntry, m: Message, raw: Uint8Array): void {
    this.commands.onDeviceMessage(e.deviceId, m);
    this.ota.onDeviceMessage(e.deviceId, m);
    this.#relay(e.deviceId, m.type, raw);
  }

  /** PROTOCOL.md §2.1 route table: device messages go up unchanged; serial-only types stay here. */
  #relay(deviceId: string, type: MsgTypeName, raw: Uint8Array): void {
    const route = routesOf(type).find((r) => r.scope === 'device' && r.direction === 'up');
    if (!route) return;
    try {
      const topic = topicFor(type, { gatewayId: this.config.gatewayId, deviceId }, 'up');
      if (route.qos === 0) this.uplink.publishVolatile(topic, raw);
      else this.uplink.enqueue(topic, raw, { keep: KEEP.has(type), lazy: !DURABLE_BEFORE_ACK.has(type) });
    } catch (e) {
      this.#log.error('cannot relay device message', { device: deviceId, type, error: errorText(e) });
    }
  }
}

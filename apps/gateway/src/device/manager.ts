/**
 * The devices of this gateway: one PortSupervisor per configured port path (globs rescanned), and a
 * registry of the devices that said HELLO, by device id (PROTOCOL.md §4.2). Device messages go to the
 * owner's callbacks with their raw bytes.
 */
import type { LinkEndpointOptions } from '@tinyfleet/protocol/link';
import type { DeviceStateName, DeviceSummary, Hello, Message } from '@tinyfleet/protocol/messages';
import type { Logger } from '../log/index.js';
import { expandPorts, type TransportOpener } from '../transport/index.js';
import type { DeviceLink, HelloVerdict } from './device-link.js';
import type { HealthOptions } from './health.js';
import { type PortStatus, PortSupervisor } from './supervisor.js';

export interface DeviceEntry {
  readonly deviceId: string;
  path: string;
  hello: Hello;
  name: string;
  link: DeviceLink | undefined;
  lastSeenMs: number;
  state?: DeviceStateName;
}

export interface DeviceEvents {
  /** A HELLO (accepted or not) to relay (PROTOCOL.md §4.2 item 2: relayed either way). */
  hello(hello: Hello, raw: Uint8Array): void;
  message(entry: DeviceEntry, msg: Message, raw: Uint8Array): void;
  /** A device's link session or port is gone. */
  detached(entry: DeviceEntry): void;
  /** The set of attached devices changed (for GW_STATUS, §2.3 item 3). */
  changed(): void;
}

export interface DeviceManagerOptions {
  readonly ports: readonly string[];
  readonly open: TransportOpener;
  readonly health: HealthOptions;
  readonly reopen: { readonly baseMs: number; readonly maxMs: number };
  readonly scanIntervalMs: number;
  readonly names: Readonly<Record<string, string>>;
  readonly heartbeatMs?: number;
  readonly link?: LinkEndpointOptions;
  readonly log: Logger;
  readonly events: DeviceEvents;
}

export class DeviceManager {
  readonly #o: DeviceManagerOptions;
  readonly #ports = new Map<string, PortSupervisor>();
  readonly #devices = new Map<string, DeviceEntry>();
  #scan: NodeJS.Timeout | undefined;

  constructor(o: DeviceManagerOptions) {
    this.#o = o;
  }

  start(): void {
    this.#rescan();
    if (this.#o.ports.some((p) => /[*?]/.test(p))) {
      this.#scan = setInterval(() => this.#rescan(), this.#o.scanIntervalMs);
      this.#scan.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.#scan) clearInterval(this.#scan);
    await Promise.all([...this.#ports.values()].map((s) => s.stop()));
    this.#ports.clear();
  }

  /** An attached, ready device. */
  get(deviceId: string): DeviceEntry | undefined {
    const d = this.#devices.get(deviceId);
    return d?.link?.state === 'ready' && d.link.hello?.deviceId === deviceId ? d : undefined;
  }

  list(): DeviceEntry[] {
    return [...this.#devices.values()];
  }

  ports(): PortStatus[] {
    return [...this.#ports.values()].map((s) => s.status());
  }

  /** GW_STATUS device summaries (PROTOCOL.md §4.7.1). */
  summaries(): DeviceSummary[] {
    return this.list().map((d) => ({
      deviceId: d.deviceId,
      name: d.name,
      linked: this.get(d.deviceId) !== undefined,
      ...(d.state !== undefined && { state: d.state }),
      ...(d.hello.modelVersion !== undefined && { modelVersion: d.hello.modelVersion }),
      lastSeen: d.lastSeenMs,
    }));
  }

  #rescan(): void {
    for (const path of expandPorts(this.#o.ports)) {
      if (this.#ports.has(path)) continue;
      const sup = new PortSupervisor({
        path,
        open: this.#o.open,
        health: this.#o.health,
        log: this.#o.log,
        reopen: this.#o.reopen,
        ...(this.#o.link && { link: this.#o.link }),
        handlers: (s) => ({
          hello: (h, raw) => this.#onHello(s, h, raw),
          message: (m, raw) => this.#onMessage(s, m, raw),
          sessionLost: () => this.#detach(s),
        }),
        detached: (s) => this.#detach(s),
      });
      this.#ports.set(path, sup);
      sup.start();
    }
  }

  #onHello(sup: PortSupervisor, h: Hello, raw: Uint8Array): HelloVerdict {
    this.#o.events.hello(h, raw);
    const other = this.#devices.get(h.deviceId);
    if (other && other.path !== sup.path && other.link?.state === 'ready') {
      // PROTOCOL.md §2.6 item 2: one device id, one device. Refuse the second claimant.
      return {
        ok: false,
        code: 'UNAUTHORIZED',
        text: `device id ${h.deviceId} is attached on ${other.path}`,
      };
    }
    const name = this.#o.names[h.deviceId] ?? h.deviceId;
    const entry: DeviceEntry = other ?? {
      deviceId: h.deviceId,
      path: sup.path,
      hello: h,
      name,
      link: sup.link,
      lastSeenMs: Date.now(),
    };
    entry.path = sup.path;
    entry.hello = h;
    entry.link = sup.link;
    entry.lastSeenMs = Date.now();
    this.#devices.set(h.deviceId, entry);
    setImmediate(() => this.#o.events.changed());
    return { ok: true, name, ...(this.#o.heartbeatMs !== undefined && { heartbeatMs: this.#o.heartbeatMs }) };
  }

  #onMessage(sup: PortSupervisor, m: Message, raw: Uint8Array): void {
    const id = sup.link?.hello?.deviceId;
    const entry = id === undefined ? undefined : this.#devices.get(id);
    if (!entry) return;
    entry.lastSeenMs = Date.now();
    if (m.type === 'HEARTBEAT') entry.state = m.state;
    this.#o.events.message(entry, m, raw);
  }

  #detach(sup: PortSupervisor): void {
    for (const d of this.#devices.values()) {
      if (d.path === sup.path && d.link !== undefined) {
        d.link = undefined;
        this.#o.events.detached(d);
        this.#o.events.changed();
      }
    }
  }
}

/**
 * Keeps one port path attached: opens it, runs a DeviceLink on it, and reopens with exponential backoff
 * after an unplug or a failed open (serialport does not reconnect by itself, RESEARCH.md §6). A
 * quarantined device is left alone for `holdMs`, then tried again.
 */
import type { LinkEndpointOptions } from '@tinyfleet/protocol/link';
import { Backoff } from '../backoff.js';
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import type { TransportOpener } from '../transport/index.js';
import { DeviceLink, type DeviceLinkHandlers } from './device-link.js';
import type { HealthOptions } from './health.js';

export type PortState = 'opening' | 'open' | 'waiting' | 'quarantined' | 'stopped';

export interface PortStatus {
  readonly path: string;
  readonly state: PortState;
  readonly device?: string;
  readonly quarantineReason?: string;
  readonly lastError?: string;
  readonly opens: number;
  readonly link?: DeviceLink['stats'];
}

export interface SupervisorOptions {
  readonly path: string;
  readonly open: TransportOpener;
  readonly health: HealthOptions;
  readonly log: Logger;
  readonly link?: LinkEndpointOptions;
  readonly reopen: { readonly baseMs: number; readonly maxMs: number };
  /** Builds the handlers of each new link (the registry's view of this port). */
  readonly handlers: (sup: PortSupervisor) => Omit<DeviceLinkHandlers, 'quarantined' | 'closed'>;
  /** The device of this port is gone (link closed or quarantined). */
  readonly detached: (sup: PortSupervisor) => void;
}

export class PortSupervisor {
  readonly path: string;
  #state: PortState = 'opening';
  #link: DeviceLink | undefined;
  #timer: NodeJS.Timeout | undefined;
  #backoff: Backoff;
  #reason: string | undefined;
  #lastError: string | undefined;
  #opens = 0;

  constructor(private readonly o: SupervisorOptions) {
    this.path = o.path;
    this.#backoff = new Backoff({ baseMs: o.reopen.baseMs, maxMs: o.reopen.maxMs });
  }

  get link(): DeviceLink | undefined {
    return this.#link;
  }

  get state(): PortState {
    return this.#state;
  }

  status(): PortStatus {
    const device = this.#link?.hello?.deviceId;
    return {
      path: this.path,
      state: this.#state,
      opens: this.#opens,
      ...(device !== undefined && { device }),
      ...(this.#reason !== undefined && { quarantineReason: this.#reason }),
      ...(this.#lastError !== undefined && { lastError: this.#lastError }),
      ...(this.#link && { link: this.#link.stats }),
    };
  }

  start(): void {
    void this.#open();
  }

  async stop(): Promise<void> {
    this.#state = 'stopped';
    if (this.#timer) clearTimeout(this.#timer);
    const link = this.#link;
    this.#link = undefined;
    await link?.close();
  }

  async #open(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'opening';
    try {
      const transport = await this.o.open(this.path);
      if ((this.#state as PortState) === 'stopped') {
        await transport.close();
        return;
      }
      this.#opens++;
      this.#state = 'open';
      this.#reason = undefined;
      this.o.log.info('port open', { path: this.path });
      const base = this.o.handlers(this);
      this.#link = new DeviceLink({
        path: this.path,
        transport,
        health: this.o.health,
        log: this.o.log,
        ...(this.o.link && { link: this.o.link }),
        handlers: {
          ...base,
          // Any message proves the device is alive: the reopen backoff starts over.
          message: (m, raw) => {
            this.#backoff.reset();
            base.message(m, raw);
          },
          quarantined: (reason) => {
            this.#reason = reason;
            this.o.detached(this);
            this.#wait('quarantined', this.o.health.holdMs);
          },
          closed: (e) => {
            this.#lastError = e ? errorText(e) : 'closed';
            this.o.log.warn('port closed', { path: this.path, error: this.#lastError });
            this.o.detached(this);
            this.#wait('waiting', this.#backoff.next());
          },
        },
      });
    } catch (e) {
      this.#lastError = errorText(e);
      const delay = this.#backoff.next();
      this.o.log.debug('port open failed', { path: this.path, error: this.#lastError, retryMs: delay });
      this.#wait('waiting', delay);
    }
  }

  #wait(state: PortState, ms: number): void {
    if (this.#state === 'stopped') return;
    this.#state = state;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#link = undefined;
      void this.#open();
    }, ms);
  }
}

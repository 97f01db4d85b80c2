/**
 * A whole site on one machine: the cloud (in process, embedded broker and SQLite), one gateway daemon
 * and N virtual MCUs (child processes), wired through the cloud's HTTP API. Used by `npm start` and by
 * the system tests. Layout of the data directory:
 *
 *   cloud/          the cloud's data (cloud.db, service.secret)
 *   admin.token     the admin API token, kept on the first start (0600)
 *   site.json       the fleet and gateway this site registered
 *   gateway/        gateway.json, gateway.secret (0600), data/ (outbox, command ledger)
 *   vmcu/           one model flash file per virtual MCU (+ its boot counter)
 *   dev/            one symlink per virtual MCU to its current pty: the gateway's port paths
 *   logs/           gateway.log, <device>.log
 *   pids.json       the children of the running site, so a crashed run's leftovers can be stopped
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Api, type CloudPorts, type SiteCloud, startSiteCloud } from './cloud.js';
import {
  type GatewayKeys,
  type GatewayLogRecord,
  type RunningGateway,
  type SourceConfig,
  startGateway,
  writeGatewayConfig,
} from './gateway.js';
import { waitFor } from './procs.js';
import { register, type SiteState, stopLeftovers } from './state.js';
import { buildVmcu, deviceFor, type McuProfile, startVmcu, type Vmcu } from './vmcu.js';

export interface SitePorts extends CloudPorts {
  /** The gateway's status endpoint; 0 = any free port. */
  readonly gatewayStatus: number;
}

export interface SiteOptions {
  readonly dataDir: string;
  readonly ports: SitePorts;
  /** Number of virtual MCUs (profiles cycle: nRF52840, STM32H743, nRF5340). */
  readonly devices: number;
  /** The gateway's data source for training sessions. */
  readonly source?: SourceConfig;
  /** Device heartbeat period (HELLO_ACK). Default 2000 ms. */
  readonly heartbeatMs?: number;
  /** Progress messages while the site comes up. */
  readonly progress?: (msg: string) => void;
  readonly onGatewayLog?: (r: GatewayLogRecord) => void;
  /** The gateway's trusted signing keys (OTA); a function is called at each gateway start. */
  readonly gatewayKeys?: GatewayKeys | ((site: Site) => GatewayKeys);
  /** More options of the virtual MCU `deviceId` (`--model`, `--slot-size`, `--ram`: later ones win). */
  readonly vmcuArgs?: (deviceId: string) => readonly string[];
  /** The serial port the gateway opens for `deviceId` (default `dev/<deviceId>`); read at each gateway start. */
  readonly portFor?: (deviceId: string) => string | undefined;
  /** Called (and awaited) once the cloud runs, before any device or the gateway starts. */
  readonly onCloud?: (cloud: SiteCloud) => Promise<void> | void;
}

/** A device as the cloud lists it (GET /v1/devices). */
export interface CloudDevice {
  id: string;
  gatewayId: string;
  capabilities: Record<string, unknown>;
  online: boolean;
  lastSeenMs: number | null;
}

export interface CloudSession {
  id: string;
  wireId: number;
  status: string;
  error: string | null;
  deviceIds: string[];
}

const DEFAULT_SOURCE: SourceConfig = {
  name: 'synthetic',
  type: 'synthetic',
  shape: [8, 8, 1],
  classes: 4,
  size: 1024,
};

export class Site {
  readonly dataDir: string;
  readonly options: SiteOptions;
  readonly vmcus = new Map<string, Vmcu>();
  readonly fleetId: string;
  readonly gatewayId: string;
  #cloud: SiteCloud | undefined;
  #gateway: RunningGateway | undefined;
  readonly #bin: string;
  readonly #gatewayConfig: string;
  #stopping: Promise<void> | undefined;
  /** The ports the cloud bound before it was stopped (a restart takes the same ones). */
  #ports: CloudPorts | undefined;
  /** The broker's URL (kept while the cloud is stopped: a restart takes the same ports). */
  #mqttUrl: string;

  private constructor(o: SiteOptions, bin: string, cloud: SiteCloud, state: SiteState) {
    this.options = o;
    this.dataDir = resolve(o.dataDir);
    this.#bin = bin;
    this.#cloud = cloud;
    this.#mqttUrl = cloud.cloud.mqttUrl;
    this.fleetId = state.fleetId;
    this.gatewayId = state.gatewayId;
    this.#gatewayConfig = join(this.dataDir, 'gateway', 'gateway.json');
  }

  /** Builds the virtual MCU, starts the cloud, registers the site, starts the gateway and the devices. */
  static async start(o: SiteOptions): Promise<Site> {
    const dataDir = resolve(o.dataDir);
    const say = o.progress ?? (() => {});
    for (const d of ['gateway', 'vmcu', 'dev', 'logs']) mkdirSync(join(dataDir, d), { recursive: true });
    stopLeftovers(dataDir, say);
    say('building the virtual MCU (cmake, incremental)');
    const bin = buildVmcu();
    say(`starting the cloud (data in ${join(dataDir, 'cloud')})`);
    const cloud = await startSiteCloud({
      dataDir: join(dataDir, 'cloud'),
      tokenFile: join(dataDir, 'admin.token'),
      ports: o.ports,
    });
    let site: Site | undefined;
    try {
      await o.onCloud?.(cloud);
      const state = await register(cloud.api, dataDir, cloud.cloud.mqttUrl, say);
      site = new Site(o, bin, cloud, state);
      for (let i = 0; i < o.devices; i++) await site.startDevice(deviceFor(i).deviceId);
      await site.startGateway();
      return site;
    } catch (e) {
      if (site) await site.stop();
      else await cloud.cloud.stop();
      throw e;
    }
  }

  get cloud(): SiteCloud {
    if (!this.#cloud) throw new Error('the cloud is stopped');
    return this.#cloud;
  }

  get cloudRunning(): boolean {
    return this.#cloud !== undefined;
  }

  get gateway(): RunningGateway {
    if (!this.#gateway) throw new Error('the gateway is not running');
    return this.#gateway;
  }

  get api(): Api {
    return this.cloud.api;
  }

  get deviceIds(): string[] {
    return [...this.vmcus.keys()];
  }

  /** Starts (or restarts, after stopDevice) the virtual MCU `deviceId` of this site. */
  async startDevice(deviceId: string): Promise<Vmcu> {
    const i = Array.from({ length: 256 }, (_, k) => k).find((k) => deviceFor(k).deviceId === deviceId);
    if (i === undefined) throw new Error(`unknown device ${deviceId}`);
    const profile: McuProfile = deviceFor(i).profile;
    const v = await startVmcu({
      bin: this.#bin,
      deviceId,
      profile,
      flashFile: join(this.dataDir, 'vmcu', `${deviceId}.flash`),
      linkPath: join(this.dataDir, 'dev', deviceId),
      logFile: join(this.dataDir, 'logs', `${deviceId}.log`),
      ...(this.options.vmcuArgs !== undefined && { extraArgs: this.options.vmcuArgs(deviceId) }),
    });
    this.vmcus.set(deviceId, v);
    this.#savePids();
    return v;
  }

  async stopDevice(deviceId: string): Promise<void> {
    await this.vmcus.get(deviceId)?.child.stop();
  }

  /** Writes the gateway config (current MQTT URL, device paths) and starts the daemon. */
  async startGateway(): Promise<RunningGateway> {
    const gwDir = join(this.dataDir, 'gateway');
    const k = this.options.gatewayKeys;
    const keys = typeof k === 'function' ? k(this) : k;
    writeGatewayConfig(this.#gatewayConfig, {
      gatewayId: this.gatewayId,
      mqttUrl: this.#mqttUrl,
      passwordFile: join(gwDir, 'gateway.secret'),
      dataDir: join(gwDir, 'data'),
      ports: this.deviceIds.map((id) => this.options.portFor?.(id) ?? join(this.dataDir, 'dev', id)),
      statusPort: this.options.ports.gatewayStatus,
      source: this.options.source ?? DEFAULT_SOURCE,
      heartbeatMs: this.options.heartbeatMs ?? 2000,
      ...(keys !== undefined && { keys }),
    });
    this.#gateway = await startGateway({
      configFile: this.#gatewayConfig,
      logFile: join(this.dataDir, 'logs', 'gateway.log'),
      ...(this.options.onGatewayLog !== undefined && { onLog: this.options.onGatewayLog }),
    });
    this.#savePids();
    return this.#gateway;
  }

  /** kill -9 the gateway (a crash), or stop it cleanly. */
  async stopGateway(how: 'crash' | 'clean'): Promise<void> {
    const g = this.#gateway;
    if (!g) return;
    if (how === 'crash') await g.child.kill();
    else await g.child.stop();
    this.#gateway = undefined;
  }

  /** Stops the cloud (broker included): the gateway loses its uplink. */
  async stopCloud(): Promise<void> {
    const c = this.#cloud;
    if (!c) return;
    this.#ports = c.ports;
    this.#cloud = undefined;
    await c.cloud.stop();
  }

  /** Starts the cloud again on the same data directory and ports. */
  async restartCloud(): Promise<SiteCloud> {
    if (this.#cloud) return this.#cloud;
    const ports = this.#ports ?? this.options.ports;
    this.#cloud = await waitFor(
      'the cloud to restart on its ports',
      async () =>
        startSiteCloud({
          dataDir: join(this.dataDir, 'cloud'),
          tokenFile: join(this.dataDir, 'admin.token'),
          ports,
        }),
      10_000,
      200,
    );
    return this.#cloud;
  }

  /** The cloud's records of this site's devices. */
  async devices(): Promise<CloudDevice[]> {
    const page = await this.api<{ items: CloudDevice[] }>(
      'GET',
      `/v1/devices?gatewayId=${this.gatewayId}&limit=200`,
    );
    return page.items;
  }

  /** Waits until the cloud lists every device of this site online. */
  async waitOnline(timeoutMs = 30_000): Promise<CloudDevice[]> {
    const want = this.deviceIds;
    return waitFor(
      `the cloud to list ${want.join(', ')} online`,
      async () => {
        const all = await this.devices();
        const mine = want.map((id) => all.find((d) => d.id === id));
        return mine.every((d) => d?.online) ? (mine as CloudDevice[]) : undefined;
      },
      timeoutMs,
      250,
    );
  }

  /** Creates and starts a training session on all devices of the site. */
  async startTraining(config: Record<string, unknown>): Promise<CloudSession> {
    return this.api<CloudSession>('POST', '/v1/sessions', {
      gatewayId: this.gatewayId,
      deviceIds: this.deviceIds,
      config,
      start: true,
    });
  }

  /** Stops everything: the gateway (cleanly, so it reports offline), the devices, the cloud. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.stopGateway('clean').catch(() => {});
      await Promise.all([...this.vmcus.values()].map((v) => v.child.stop().catch(() => {})));
      await this.stopCloud().catch(() => {});
      this.#savePids();
    })();
    return this.#stopping;
  }

  #savePids(): void {
    const children = [this.#gateway?.child, ...[...this.vmcus.values()].map((v) => v.child)]
      .filter((c) => c?.running)
      .map((c) => ({ name: c?.name, pid: c?.pid }));
    writeFileSync(join(this.dataDir, 'pids.json'), `${JSON.stringify(children)}\n`);
  }
}

/**
 * Durable per-job delivery progress (PROTOCOL.md §2.5 item 3, §4.6.1 Resume): the `ota.job` command as
 * received and, per target device, the OTA state resume needs (TEST_BOOTING, written before the device
 * is sent OTA_TEST_BOOT: it may be on trial, so it is asked before it is offered again; deliver.ts). One
 * JSON file per job under `<data>/ota/jobs/`, replaced atomically, off the event loop.
 * After a gateway restart the running jobs are resumed from it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeMessage,
  encodeMessage,
  type GwCommand,
  type OtaStateName,
} from '@tinyfleet/protocol/messages';
import { errorText } from '../errors.js';
import type { Logger } from '../log/index.js';
import { atomicWrite, atomicWriteAsync } from './fsutil.js';

interface JobFile {
  /** The GW_COMMAND, CBOR, base64. */
  command: string;
  devices: Record<string, OtaStateName>;
}

const KEY = /^[0-9a-f]{2,64}$/;

export class JobStore {
  readonly #dir: string;
  readonly #log: Logger;
  readonly #jobs = new Map<string, JobFile>();
  /** Per job: the writes in progress, in order (state changes of its devices, then its removal). */
  readonly #pending = new Map<string, Promise<void>>();
  /** Per job: a write queued behind the one in progress, not started yet (it takes every newer state). */
  readonly #queued = new Map<string, Promise<void>>();
  /** Jobs read from disk at start: they were running when the gateway stopped. */
  readonly #loaded = new Set<string>();

  constructor(dataDir: string, log: Logger) {
    this.#dir = join(dataDir, 'ota', 'jobs');
    this.#log = log;
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    for (const f of readdirSync(this.#dir)) {
      const key = f.endsWith('.json') ? f.slice(0, -5) : '';
      if (!KEY.test(key)) continue;
      try {
        this.#jobs.set(key, JSON.parse(readFileSync(join(this.#dir, f), 'utf8')) as JobFile);
        this.#loaded.add(key);
      } catch (e) {
        this.#log.warn('unreadable ota job file dropped', { file: f, error: errorText(e) });
      }
    }
  }

  /** Records a job once (its ledger key is the command's message id, hex). */
  begin(key: string, cmd: GwCommand): void {
    if (this.#jobs.has(key)) return;
    this.#write(key, { command: Buffer.from(encodeMessage(cmd)).toString('base64'), devices: {} });
  }

  /** True for a job that was running when the gateway stopped (its deliveries resume). */
  resumed(key: string): boolean {
    return this.#loaded.has(key);
  }

  state(key: string, dev: string): OtaStateName | undefined {
    return this.#jobs.get(key)?.devices[dev];
  }

  /**
   * Records a device's state; resolves once it is durable. The file is written off the event loop, one
   * write per job at a time, each with the newest states of all its devices: states set while a write
   * runs share the one write queued behind it (group commit), so devices of one job that change state
   * together wait for two writes at most, not one each.
   */
  setState(key: string, dev: string, st: OtaStateName): Promise<void> {
    const j = this.#jobs.get(key);
    if (!j || j.devices[dev] === st) return Promise.resolve();
    this.#jobs.set(key, { ...j, devices: { ...j.devices, [dev]: st } });
    const queued = this.#queued.get(key);
    if (queued) return queued; // not started yet: it will write this state too
    const p = this.#then(key, async () => {
      if (this.#queued.get(key) === p) this.#queued.delete(key); // started: newer states need a new write
      const now = this.#jobs.get(key);
      if (now) await atomicWriteAsync(join(this.#dir, `${key}.json`), JSON.stringify(now));
    });
    this.#queued.set(key, p);
    return p;
  }

  #then(key: string, op: () => Promise<void>): Promise<void> {
    const p = (this.#pending.get(key) ?? Promise.resolve()).then(op);
    const settled = p.catch((e: unknown) => {
      this.#log.warn('ota job file write failed', { key, error: errorText(e) });
    });
    this.#pending.set(key, settled);
    void settled.then(() => {
      if (this.#pending.get(key) === settled) this.#pending.delete(key);
    });
    return p;
  }

  /** Jobs not finished, as their commands (undecodable ones are dropped). */
  pending(): { key: string; cmd: GwCommand }[] {
    const out: { key: string; cmd: GwCommand }[] = [];
    for (const [key, j] of this.#jobs) {
      try {
        const m = decodeMessage(new Uint8Array(Buffer.from(j.command, 'base64')));
        if (m.type === 'GW_COMMAND') out.push({ key, cmd: m });
      } catch (e) {
        this.#log.warn('undecodable ota job dropped', { key, error: errorText(e) });
        this.remove(key);
      }
    }
    return out;
  }

  remove(key: string): void {
    this.#jobs.delete(key);
    this.#loaded.delete(key);
    const p = join(this.#dir, `${key}.json`);
    const rm = () => {
      if (existsSync(p)) rmSync(p, { force: true });
    };
    // after the writes still in progress, which would otherwise bring the file back
    if (this.#pending.has(key)) void this.#then(key, async () => rm());
    else rm();
  }

  #write(key: string, j: JobFile): void {
    if (!KEY.test(key)) throw new Error(`bad job key ${key}`);
    atomicWrite(join(this.#dir, `${key}.json`), JSON.stringify(j));
    this.#jobs.set(key, j);
  }
}

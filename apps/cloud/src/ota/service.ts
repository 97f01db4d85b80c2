/**
 * The OTA service: signing keys, artifact files, the campaign engine and the block server over one store
 * and data directory, with the engine's timer. What the API and startCloud hold.
 */
import { join } from 'node:path';
import type { LiveBus, Store } from '../store/index.js';
import { BlockServer, type Publish } from './blocks.js';
import {
  cancelCampaign,
  createCampaign,
  type OpResult,
  pauseCampaign,
  type RollbackInput,
  resumeCampaign,
  rollbackCampaign,
} from './campaigns.js';
import { CampaignEngine, type Clock, type EngineLog, type JobSender } from './engine.js';
import { KeyRing } from './keys.js';
import { ObjectStore } from './objects.js';
import { type CampaignInput, type Plan, planCampaign } from './plan.js';
import { registerModel, type UploadOptions, type UploadResult } from './registry.js';

export interface OtaServiceOptions {
  store: Store;
  bus: LiveBus;
  /** Keys go to `<dataDir>/keys`, artifacts to `<dataDir>/objects`. */
  dataDir: string;
  send: JobSender;
  /** Publish as the service; absent: no block serving (tests of the API alone). */
  publish?: Publish | undefined;
  clock?: Clock | undefined;
  /** Engine tick period for `start()`; default 1000 ms. */
  tickMs?: number | undefined;
  log?: EngineLog | undefined;
}

export class OtaService {
  readonly store: Store;
  readonly keys: KeyRing;
  readonly objects: ObjectStore;
  readonly engine: CampaignEngine;
  readonly blocks: BlockServer | undefined;
  readonly #o: OtaServiceOptions;
  #timer: NodeJS.Timeout | undefined;
  #detach: (() => void) | undefined;

  constructor(o: OtaServiceOptions) {
    this.#o = o;
    this.store = o.store;
    this.keys = new KeyRing(o.store, join(o.dataDir, 'keys'));
    this.objects = new ObjectStore(join(o.dataDir, 'objects'));
    this.engine = new CampaignEngine({
      store: o.store,
      bus: o.bus,
      send: o.send,
      clock: o.clock,
      log: o.log,
    });
    this.blocks =
      o.publish && new BlockServer({ store: o.store, objects: this.objects, publish: o.publish, log: o.log });
    this.keys.ensureActive(this.now());
  }

  now(): number {
    return this.engine.clock();
  }

  /** Attach the block server to the bus and tick the engine periodically. */
  start(): void {
    this.#detach ??= this.blocks?.attach(this.#o.bus);
    this.#timer ??= setInterval(() => {
      this.engine.tick().catch((e: unknown) => this.#o.log?.('error', 'ota engine tick failed', e));
    }, this.#o.tickMs ?? 1000);
  }

  /** Stop the timer and wait for a tick in progress. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#detach?.();
    this.#detach = undefined;
    await this.engine.idle();
  }

  upload(bytes: Uint8Array, opts: UploadOptions): UploadResult {
    return registerModel(this, bytes, opts, this.now());
  }

  preview(input: CampaignInput): Plan {
    return planCampaign(this.store, input);
  }

  create(input: CampaignInput): Promise<OpResult> {
    return this.#run(() => createCampaign(this.store, input, this.now()));
  }

  pause(id: string): Promise<OpResult> {
    return this.#run(() => pauseCampaign(this.store, id, this.now()));
  }

  resume(id: string): Promise<OpResult> {
    return this.#run(() => resumeCampaign(this.store, id, this.now()));
  }

  cancel(id: string): Promise<OpResult> {
    return this.#run(() => cancelCampaign(this.store, id, this.now()));
  }

  rollback(id: string, input: RollbackInput): Promise<OpResult> {
    return this.#run(() => rollbackCampaign(this.store, id, input, this.now()));
  }

  /** Run an operation, publish its events, then tick so offers go out at once. */
  async #run(op: () => OpResult): Promise<OpResult> {
    const r = op();
    this.engine.emit(r.events);
    await this.engine.tick();
    return { campaign: this.store.campaigns.require(r.campaign.id), events: r.events };
  }
}

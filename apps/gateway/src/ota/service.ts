/**
 * The gateway's OTA service (PROTOCOL.md §4.7.2 `ota.job`): fetch the object by block transfer into the
 * site cache (§2.7), check it (object id, §5.10, signature §5.9) before any byte goes to a device, then
 * run §4.6 on each target. Per-device progress is durable, so a restarted gateway resumes its jobs.
 */
import { ProtocolError } from '@tinyfleet/protocol/errors';
import {
  type BlockDataMessage,
  type ErrorMessage,
  type GwCommand,
  type Message,
  messageIdHex,
  type ValueMap,
} from '@tinyfleet/protocol/messages';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log/index.js';
import { Replies } from '../session/waiters.js';
import { type OtaJob, parseOtaJob } from './args.js';
import { ObjectCache } from './cache.js';
import { deliverToDevice, OTA_TIMING_DEFAULTS, type OtaDevice, type OtaTimings } from './deliver.js';
import { type BlockChannel, ObjectFetcher } from './fetcher.js';
import { JobStore } from './jobs.js';
import type { TrustedKeys } from './keys.js';
import { type VerifiedArtifact, verifyArtifact } from './verify.js';

export interface OtaServiceOptions {
  readonly dataDir: string;
  readonly keys: TrustedKeys;
  /** §5.9: unsigned artifacts are refused unless this is true. */
  readonly allowUnsigned: boolean;
  readonly device: (deviceId: string) => OtaDevice | undefined;
  readonly channel: BlockChannel;
  readonly log: Logger;
  readonly timings?: Partial<OtaTimings>;
  /** §2.7 W, T, R of the cloud-to-gateway transfer. */
  readonly transfer?: { readonly window?: number; readonly timeoutMs?: number; readonly maxRetries?: number };
}

export class OtaService {
  readonly cache: ObjectCache;
  readonly fetcher: ObjectFetcher;
  readonly #o: OtaServiceOptions;
  readonly #jobs: JobStore;
  readonly #replies = new Replies();
  readonly #timings: OtaTimings;
  /** Per command (message id hex): its artifact, fetched and verified once for all its targets. */
  readonly #artifacts = new Map<string, Promise<VerifiedArtifact>>();
  #stopped = false;

  constructor(o: OtaServiceOptions) {
    this.#o = o;
    this.#timings = { ...OTA_TIMING_DEFAULTS, ...o.timings };
    this.cache = new ObjectCache(o.dataDir);
    this.#jobs = new JobStore(o.dataDir, o.log);
    this.fetcher = new ObjectFetcher({ cache: this.cache, channel: o.channel, log: o.log, ...o.transfer });
  }

  /** One target of an `ota.job`; returns its `res` or throws ProtocolError (§4.7.2). */
  async execute(cmd: GwCommand, dev: string | undefined): Promise<ValueMap> {
    const job = parseOtaJob(cmd.args);
    if (dev === undefined) throw new ProtocolError('BAD_FIELD', 'ota.job needs target devices');
    const key = messageIdHex(cmd.id);
    this.#jobs.begin(key, cmd);
    let art = this.#artifacts.get(key);
    if (!art) {
      art = this.#artifact(job);
      this.#artifacts.set(key, art);
    }
    // Nothing reaches a device before the artifact passed every check (issue 7 acceptance).
    const verified = await art;
    this.#o.log.info('ota delivery', { cid: cmd.commandId, device: dev, oid: job.oid });
    return deliverToDevice(
      {
        device: this.#o.device,
        replies: this.#replies,
        timings: this.#timings,
        saveState: (st) => this.#jobs.setState(key, dev, st),
        fresh: !this.#jobs.resumed(key),
        stopped: () => this.#stopped,
        log: this.#o.log,
      },
      dev,
      verified,
      job,
      this.#jobs.state(key, dev),
    );
  }

  async #artifact(job: OtaJob): Promise<VerifiedArtifact> {
    const bytes = await this.fetcher.fetch(job.oid, job.size);
    const check = async (refresh: boolean) =>
      verifyArtifact(bytes, job, {
        keys: refresh ? await this.#o.keys.refresh() : await this.#o.keys.get(),
        allowUnsigned: this.#o.allowUnsigned,
      });
    try {
      return await check(false);
    } catch (e) {
      if (!(e instanceof ProtocolError) || e.code !== 'BAD_SIGNATURE' || !/unknown key id/.test(e.message))
        throw e;
      // The cloud may have rotated its key since we loaded them: load once more, then decide.
      return await check(true);
    }
  }

  /** The command's results are recorded (ledger): its progress file goes. */
  finished(key: string): void {
    this.#artifacts.delete(key);
    this.#jobs.remove(key);
  }

  /** Jobs that were running when the gateway stopped. */
  pending(): { key: string; cmd: GwCommand }[] {
    return this.#jobs.pending();
  }

  /** A downlink of `tf/v1/gw/{gw}/down/…` other than GW_COMMAND (§2.1): BLOCK_DATA, or ERROR. */
  onDownlink(m: Message): void {
    if (m.type === 'BLOCK_DATA') this.fetcher.onBlock(m as BlockDataMessage);
    else if (m.type === 'ERROR') this.fetcher.onError(m as ErrorMessage);
  }

  /** The MQTT connection is (back) online (§2.7 step 6). */
  online(): void {
    this.fetcher.online();
  }

  onDeviceMessage(dev: string, m: Message): void {
    if (m.type === 'OTA_STATUS' || m.type === 'ERROR') this.#replies.offer(dev, m);
  }

  onDeviceDetached(dev: string): void {
    this.#replies.fail(dev, new GatewayError('NOT_ATTACHED', `device ${dev} detached`));
  }

  stop(): void {
    this.#stopped = true;
    this.#replies.clear();
    this.fetcher.stop();
    this.cache.close();
  }
}

/**
 * Block serving (PROTOCOL.md §2.7 step 4): answers a gateway's BLOCK_REQUEST with one BLOCK_DATA per
 * wanted block on `tf/v1/gw/{gw}/down/block`, only for an object the gateway is entitled to (an in-flight
 * execution of a campaign of that object on that gateway), else ERROR UNAUTHORIZED on `.../down/error`.
 * Stateless per transfer; counts the bytes it sends per campaign (egress).
 */
import { ErrorCode, type ErrorCodeName } from '@tinyfleet/protocol/constants';
import { isProtocolError } from '@tinyfleet/protocol/errors';
import { encodeMessage, randomMessageId } from '@tinyfleet/protocol/messages';
import { answerBlockRequest, topicFor } from '@tinyfleet/protocol/mqtt';
import type { LiveBus, LiveEvent, Store } from '../store/index.js';
import type { ObjectStore } from './objects.js';

export type Publish = (
  topic: string,
  payload: Uint8Array,
  opts: { qos: 0 | 1; retain: boolean },
) => Promise<void>;
type BlockRequestEvent = Extract<LiveEvent, { type: 'block-request' }>;

export type BlockAnswer =
  | { ok: true; campaignId: string; blocks: number; bytes: number }
  | { ok: false; code: ErrorCodeName; reason: string };

export interface BlockServerOptions {
  store: Store;
  objects: ObjectStore;
  publish: Publish;
  log?: ((level: 'warn' | 'error', msg: string, err?: unknown) => void) | undefined;
}

export class BlockServer {
  readonly #o: BlockServerOptions;
  #stats = { requests: 0, refused: 0, blocks: 0, bytes: 0 };

  constructor(o: BlockServerOptions) {
    this.#o = o;
  }

  get stats(): Readonly<{ requests: number; refused: number; blocks: number; bytes: number }> {
    return this.#stats;
  }

  /** Answer the block requests ingestion commits; returns the unsubscribe function. */
  attach(bus: LiveBus): () => void {
    return bus.subscribe(
      (e) => {
        if (e.type !== 'block-request') return;
        this.answer(e).catch((err: unknown) => this.#o.log?.('error', 'block answer failed', err));
      },
      ['block-request'],
    );
  }

  async answer(req: BlockRequestEvent): Promise<BlockAnswer> {
    const { store, objects } = this.#o;
    this.#stats.requests++;
    // PROTOCOL.md §2.7 step 4: the object exists and the gateway is entitled to it.
    const campaignId = store.executions.entitledCampaign(req.gatewayId, req.objectId);
    const object = campaignId === undefined ? undefined : objects.read(req.objectId);
    if (campaignId === undefined || object === undefined) {
      return this.#refuse(req, 'UNAUTHORIZED', `object ${req.objectId} is not offered to this gateway`);
    }
    let blocks: ReturnType<typeof answerBlockRequest>;
    try {
      blocks = answerBlockRequest(object, req.objectId, req);
    } catch (e) {
      if (!isProtocolError(e)) throw e;
      return this.#refuse(req, e.code, e.message);
    }
    const topic = topicFor('BLOCK_DATA', { gatewayId: req.gatewayId });
    let bytes = 0;
    for (const b of blocks) {
      const payload = encodeMessage({
        type: 'BLOCK_DATA',
        id: randomMessageId(),
        re: req.msgId,
        objectId: b.objectId,
        index: b.index,
        total: b.total,
        data: b.data,
      });
      await this.#o.publish(topic, payload, { qos: 1, retain: false });
      bytes += payload.length;
    }
    store.campaigns.addEgress(campaignId, bytes);
    this.#stats.blocks += blocks.length;
    this.#stats.bytes += bytes;
    return { ok: true, campaignId, blocks: blocks.length, bytes };
  }

  async #refuse(req: BlockRequestEvent, code: ErrorCodeName, reason: string): Promise<BlockAnswer> {
    this.#stats.refused++;
    const payload = encodeMessage({
      type: 'ERROR',
      id: randomMessageId(),
      re: req.msgId,
      code: ErrorCode[code],
      text: reason.slice(0, 200),
    });
    await this.#o.publish(topicFor('ERROR', { gatewayId: req.gatewayId }, 'down'), payload, {
      qos: 1,
      retain: false,
    });
    this.#o.store.events.add({
      level: 'warn',
      kind: 'ota.block_refused',
      gatewayId: req.gatewayId,
      message: `${code}: ${reason}`,
      data: { objectId: req.objectId, code },
    });
    return { ok: false, code, reason };
  }
}

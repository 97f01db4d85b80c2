/**
 * The gateway's durable state (PROTOCOL.md §2.4 item 3, §2.5 item 3): the store-and-forward outbox of
 * uplink messages, and the ledger of executed GW_COMMAND ids with their results.
 */
export interface OutboxEntry {
  readonly seq: number;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly createdMs: number;
}

export interface EnqueueOptions {
  /** Never dropped when the outbox is full (GW_COMMAND_RESULT, GRAD_UPDATE, OTA_STATUS; §2.4 item 3). */
  readonly keep: boolean;
  /**
   * Group commit: committed without waiting for the disk, and durable once a later sync of the store has
   * completed (off the event loop). `next()` returns the entry only then, so it is still written to the
   * outbox before it is published (§2.4 item 3); only a caller that must not go on before the entry is
   * durable (a training report the serial link is about to acknowledge, §4.4.8) leaves this unset.
   */
  readonly lazy?: boolean;
}

export interface Outbox {
  /**
   * Commits a message; when this returns, it survives a crash (with `lazy`: once `onDurable` listeners
   * are called). Returns its sequence number.
   */
  enqueue(topic: string, payload: Uint8Array, o: EnqueueOptions, nowMs?: number): number;
  /** Oldest durable entries with seq > `afterSeq`, at most `limit`. */
  next(afterSeq: number, limit: number): OutboxEntry[];
  /**
   * Deletes an entry (its PUBACK arrived). Without waiting for the disk: a delete lost to a power cut
   * publishes the entry once more, a duplicate the cloud drops by id (§2.5).
   */
  remove(seq: number): void;
  /** Called whenever lazily committed entries have become durable (`next` returns them now). */
  onDurable(listener: () => void): void;
  readonly size: number;
  /** Drops entries created before `beforeMs` (§2.5 item 2: the cloud keeps ids 7 days); returns the count. */
  expire(beforeMs: number): number;
}

export type CommandState = 'running' | 'done';

export interface CommandRecord {
  readonly state: CommandState;
  /** Encoded GW_COMMAND_RESULT messages, republished as they are on a repeated command. */
  readonly results: Uint8Array[];
}

export interface CommandLedger {
  get(commandMsgId: string): CommandRecord | undefined;
  /** Records a command as running; false when it is already known (§2.5 item 3: at most once). */
  begin(commandMsgId: string, cid: string, nowMs?: number): boolean;
  /** Records the results and enqueues them to `outbox` in one transaction. */
  finish(commandMsgId: string, results: { topic: string; payload: Uint8Array }[]): void;
}

/** What the outbox does when full: drop the oldest entry not marked keep (documented policy, §2.4). */
export const OUTBOX_DEFAULT_MAX = 100_000;

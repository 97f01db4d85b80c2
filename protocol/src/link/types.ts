/** Public types of the link endpoint: options, defaults, negotiated parameters, events, statistics. */
import { type ErrorCodeName, P } from '../constants/index.js';
import type { ProtocolError } from '../errors.js';

/** Parameters in force for a session, the minimum of both HELLO offers (PROTOCOL.md §3.6.2). */
export interface LinkParams {
  readonly version: number;
  readonly window: number;
  readonly maxFramePayload: number;
  readonly maxMessageBytes: number;
}

export interface LinkEndpointOptions {
  /** Offered largest frame payload (PROTOCOL.md §3.9). */
  readonly maxFramePayload?: number;
  /** Offered window in frames, 1..P.LINK_MAX_WINDOW. */
  readonly window?: number;
  /** Offered largest message. */
  readonly maxMessageBytes?: number;
  /** Source of epochs (u32; 0 is never used). Default: crypto.getRandomValues. Inject for determinism. */
  readonly nonce?: () => number;
  readonly initialRtoMs?: number;
  readonly minRtoMs?: number;
  readonly maxRtoMs?: number;
  /** Consecutive retransmission timeouts without progress before the link is declared down. */
  readonly maxRetransmissions?: number;
  /** HELLO repeat interval while connecting. */
  readonly helloIntervalMs?: number;
  /** Longest an in-order DATA frame waits for its ack when nothing else is sent (0: next transmit opportunity). */
  readonly ackDelayMs?: number;
  /** Frames transmitted later and selectively acked before an earlier frame counts as lost. */
  readonly reorderThreshold?: number;
  /** Send queue limits (messages not yet fully acknowledged). */
  readonly maxQueuedBytes?: number;
  readonly maxQueuedMessages?: number;
  /** A transmit burst that starts after this much silence begins with a 0x00 (PROTOCOL.md §3.7.3). */
  readonly idleDelimiterMs?: number;
  /** Emit a `stats` event this often; 0 disables. */
  readonly statsIntervalMs?: number;
}

/** Defaults (PROTOCOL.md §3.9). */
export const LINK_DEFAULTS = {
  maxFramePayload: 256,
  window: 16,
  maxMessageBytes: P.LINK_MAX_MESSAGE_BYTES,
  initialRtoMs: 1000,
  minRtoMs: 20,
  maxRtoMs: 2000,
  maxRetransmissions: 10,
  helloIntervalMs: 250,
  ackDelayMs: 0,
  reorderThreshold: 1,
  maxQueuedBytes: 256 * 1024,
  maxQueuedMessages: 1024,
  idleDelimiterMs: 50,
  statsIntervalMs: 0,
} as const;

export type ResolvedLinkOptions = { -readonly [K in keyof typeof LINK_DEFAULTS]: number } & {
  nonce: () => number;
};

export type LinkState = 'connecting' | 'up';

/** Messages handed back when a session ends (PROTOCOL.md §3.6.4). Nothing is dropped silently. */
export interface SessionLoss {
  /** Sent at least in part, not fully acknowledged: the peer may or may not have them. */
  readonly unacked: Uint8Array[];
  /** Never sent: the peer does not have them. */
  readonly unsent: Uint8Array[];
  /** Bytes of a partly received inbound message that were discarded. */
  readonly discardedInboundBytes: number;
}

export type LinkEvent =
  | {
      readonly type: 'connected';
      readonly params: LinkParams;
      readonly localEpoch: number;
      readonly peerEpoch: number;
    }
  | { readonly type: 'message'; readonly data: Uint8Array }
  /** The peer started a new session (new epoch): it rebooted or reset its link. */
  | ({ readonly type: 'peer-reset'; readonly peerEpoch: number } & SessionLoss)
  /** This side ended the session: too many retransmissions, or `reset()`. */
  | ({ readonly type: 'link-down'; readonly reason: 'retransmissions' | 'local' } & SessionLoss)
  /** A protocol violation by the peer detected here (also reported to the peer in an ERROR frame). */
  | { readonly type: 'error'; readonly error: ProtocolError; readonly dropped?: Uint8Array }
  /** An ERROR frame from the peer. */
  | {
      readonly type: 'peer-error';
      readonly code: number;
      readonly name: ErrorCodeName | undefined;
      readonly text: string;
    }
  /** `send` returned false before; the queue has room again. */
  | { readonly type: 'writable' }
  | { readonly type: 'stats'; readonly stats: LinkStats };

export interface LinkStats {
  state: LinkState;
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  dataFramesOut: number;
  /** DATA frames sent again (timeouts and fast retransmits). */
  retransmissions: number;
  /** Frames declared lost by SACK information. */
  fastRetransmits: number;
  /** Retransmission timer expiries. */
  timeouts: number;
  acksOut: number;
  acksIn: number;
  /** Messages fully acknowledged by the peer. */
  messagesOut: number;
  messagesIn: number;
  duplicates: number;
  outOfWindow: number;
  crcErrors: number;
  /** Dropped before the CRC check (COBS, size), CRC errors excluded. */
  framingErrors: number;
  /** Good CRC but invalid header or structure. */
  frameErrors: number;
  /** Wire bytes of dropped frames, noise included. */
  discardedBytes: number;
  /** Valid frames with no use in the current state (DATA before connect, stale HELLO_ACK, bad ack). */
  ignoredFrames: number;
  hellosOut: number;
  connects: number;
  peerResets: number;
  linkDowns: number;
  errorsIn: number;
  errorsOut: number;
  srttMs: number | undefined;
  rtoMs: number;
}

/** HELLO negotiation rules (PROTOCOL.md §3.6) as pure decisions; the endpoint carries them out. */
import { ProtocolError } from '../errors.js';
import { checkHello, type HelloPayload } from './payloads.js';
import type { LinkParams } from './types.js';

/** Where the endpoint stands when a HELLO or HELLO_ACK arrives. */
export interface HandshakeState {
  /** A session is up. */
  readonly up: boolean;
  readonly localEpoch: number;
  /** Epoch of the peer's current session (meaningful when `up`). */
  readonly peerEpoch: number;
  /** What this side offers (§3.6.1). */
  readonly offer: HelloPayload;
}

export type HelloDecision =
  | { readonly action: 'reject'; readonly error: ProtocolError }
  /** A repeated HELLO of the current session: answer again, change nothing. */
  | { readonly action: 'answer-again' }
  /** Answer with HELLO_ACK and open a session; `peerReset`: end the current one first. */
  | { readonly action: 'open'; readonly params: LinkParams; readonly peerReset: boolean };

export type HelloAckDecision =
  | { readonly action: 'reject'; readonly error: ProtocolError }
  /** Answers another HELLO of ours, or repeats the one that opened the session. */
  | { readonly action: 'ignore' }
  /** The peer answered with a new epoch while a session is up: peer reset, new handshake. */
  | { readonly action: 'restart' }
  | { readonly action: 'open'; readonly params: LinkParams };

/** PROTOCOL.md §3.6.2: every parameter is the minimum of both offers. */
export function negotiate(mine: HelloPayload, theirs: HelloPayload): LinkParams {
  return {
    version: Math.min(mine.version, theirs.version),
    window: Math.min(mine.window, theirs.window),
    maxFramePayload: Math.min(mine.maxFramePayload, theirs.maxFramePayload),
    maxMessageBytes: Math.min(mine.maxMessageBytes, theirs.maxMessageBytes),
  };
}

/** PROTOCOL.md §3.6.3, §3.6.4: what a HELLO means. */
export function decideHello(s: HandshakeState, h: HelloPayload): HelloDecision {
  const bad = checkHello(h);
  if (bad) return { action: 'reject', error: bad };
  if (s.up && h.epoch === s.peerEpoch) return { action: 'answer-again' };
  return { action: 'open', params: negotiate(s.offer, h), peerReset: s.up };
}

/** PROTOCOL.md §3.6.3, §3.6.4: what a HELLO_ACK means. */
export function decideHelloAck(s: HandshakeState, h: HelloPayload): HelloAckDecision {
  const bad = checkHello(h);
  if (bad) return { action: 'reject', error: bad };
  if (h.peerEpoch !== s.localEpoch) return { action: 'ignore' };
  if (s.up) return h.epoch === s.peerEpoch ? { action: 'ignore' } : { action: 'restart' };
  const p = negotiate(s.offer, h);
  const same =
    p.version === h.version &&
    p.window === h.window &&
    p.maxFramePayload === h.maxFramePayload &&
    p.maxMessageBytes === h.maxMessageBytes;
  if (!same)
    return { action: 'reject', error: new ProtocolError('OUT_OF_RANGE', 'HELLO_ACK exceeds the offer') };
  return { action: 'open', params: p };
}

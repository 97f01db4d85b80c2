/** Option resolution and validation for LinkEndpoint (PROTOCOL.md §3.9). */
import { webcrypto } from 'node:crypto';
import { P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import {
  LINK_DEFAULTS,
  type LinkEndpointOptions,
  type LinkStats,
  type ResolvedLinkOptions,
} from './types.js';

function randomNonce(): number {
  return webcrypto.getRandomValues(new Uint32Array(1))[0]!;
}

function checkRange(name: string, v: number, min: number, max: number): void {
  if (!Number.isFinite(v) || v < min || v > max || (Number.isInteger(min) && !Number.isInteger(v))) {
    throw new ProtocolError('OUT_OF_RANGE', `link option ${name}=${v} not in ${min}..${max}`);
  }
}

export function resolveOptions(options: LinkEndpointOptions): ResolvedLinkOptions {
  const o: ResolvedLinkOptions = { ...LINK_DEFAULTS, nonce: randomNonce };
  for (const [k, v] of Object.entries(options)) {
    if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  }
  checkRange('window', o.window, 1, P.LINK_MAX_WINDOW);
  checkRange('maxFramePayload', o.maxFramePayload, P.LINK_MIN_FRAME_PAYLOAD, P.LINK_MAX_FRAME_PAYLOAD);
  checkRange('maxMessageBytes', o.maxMessageBytes, P.LINK_MIN_FRAME_PAYLOAD, P.LINK_MAX_MESSAGE_BYTES);
  checkRange('reorderThreshold', o.reorderThreshold, 1, P.LINK_MAX_WINDOW);
  checkRange('maxRetransmissions', o.maxRetransmissions, 0, 1000);
  checkRange('minRtoMs', o.minRtoMs, 0.001, o.maxRtoMs);
  checkRange('initialRtoMs', o.initialRtoMs, o.minRtoMs, o.maxRtoMs);
  checkRange('helloIntervalMs', o.helloIntervalMs, 0.001, 3_600_000);
  checkRange('ackDelayMs', o.ackDelayMs, 0, 10_000);
  checkRange('idleDelimiterMs', o.idleDelimiterMs, 0, 3_600_000);
  checkRange('statsIntervalMs', o.statsIntervalMs, 0, 3_600_000);
  return o;
}

export function newStats(rtoMs: number): LinkStats {
  return {
    state: 'connecting',
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    dataFramesOut: 0,
    retransmissions: 0,
    fastRetransmits: 0,
    timeouts: 0,
    acksOut: 0,
    acksIn: 0,
    messagesOut: 0,
    messagesIn: 0,
    duplicates: 0,
    outOfWindow: 0,
    crcErrors: 0,
    framingErrors: 0,
    frameErrors: 0,
    discardedBytes: 0,
    ignoredFrames: 0,
    hellosOut: 0,
    connects: 0,
    peerResets: 0,
    linkDowns: 0,
    errorsIn: 0,
    errorsOut: 0,
    srttMs: undefined,
    rtoMs,
  };
}

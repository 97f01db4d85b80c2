/**
 * Validation of one uplink PUBLISH before ingestion (PROTOCOL.md §2.1, §2.6, §4): the topic by §2.1, the
 * CBOR by §4, the envelope type against the topic kind, the device id against the topic. Runs outside any
 * transaction; what it refuses is dropped (and logged) by the ingestor.
 */
import { type ParsedTopic, parseTopic } from '@tinyfleet/protocol/mqtt';
import type { Origin } from './apply.js';
import { fastGradUpdate } from './grad-fast.js';
import type { DecodeFn, UplinkMessage } from './messages.js';

/** GRAD_UPDATE's topic kind (PROTOCOL.md §2.1): `tf/v1/gw/{gw}/dev/{dev}/up/grad`. */
export const GRAD_SUFFIX = '/up/grad';

/** A message refused for a reason of our own (not a decoding error, which carries its own code). */
export class Rejection extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The message and where it came from; throws a `Rejection` or a protocol error for an invalid one. */
export function validateUplink(
  gatewayId: string,
  topic: string,
  payload: Uint8Array,
  decode: DecodeFn,
): { origin: Origin; msg: UplinkMessage } {
  const parsed: ParsedTopic = parseTopic(topic);
  if (parsed.gatewayId !== gatewayId)
    throw new Rejection('UNAUTHORIZED', `topic of gateway ${parsed.gatewayId}`);
  if (parsed.direction !== 'up') throw new Rejection('BAD_FIELD', 'not an uplink topic');
  // GRAD_UPDATE, the bulk of the traffic: the one-pass decoder, which defers to `decode` for anything it
  // does not accept itself (./grad-fast.ts).
  const msg = ((topic.endsWith(GRAD_SUFFIX) && fastGradUpdate(payload)) || decode(payload)) as UplinkMessage;
  // PROTOCOL.md §2.1 rule 2: the envelope type must be the one the topic kind carries.
  if (msg.type !== parsed.message) throw new Rejection('BAD_FIELD', `${msg.type} on a ${parsed.kind} topic`);
  // PROTOCOL.md §2.6 item 2: a gateway relays a device only under that device's own id.
  if (msg.type === 'HELLO' && msg.deviceId !== parsed.deviceId) {
    throw new Rejection('BAD_FIELD', `HELLO of ${msg.deviceId} on the topic of ${parsed.deviceId}`);
  }
  return { origin: { gatewayId, deviceId: parsed.deviceId }, msg };
}

/** A training request to a device and its answer (PROTOCOL.md §4.4.2–§4.4.4). */
import { ProtocolError } from '@tinyfleet/protocol/errors';
import { encodeMessage, type Message, messageIdHex, type TrainStatus } from '@tinyfleet/protocol/messages';
import { errorName } from './outcome.js';
import type { Replies } from './waiters.js';

/** A device the runner can talk to. */
export interface AttachedDevice {
  send(m: Message): boolean;
  readonly maxMessageBytes: number;
}

/**
 * Sends `m` and waits for TRAIN_STATUS of `sid` or an ERROR answering it. A device's ERROR becomes a
 * ProtocolError with its code; no answer within `timeoutMs` a GatewayError TIMEOUT.
 */
export async function requestTrain(
  replies: Replies,
  dev: string,
  d: AttachedDevice,
  m: Message & { sessionId: number },
  timeoutMs: number,
): Promise<TrainStatus> {
  encodeMessage(m); // validate before anything goes out (§4.1.7): throws BAD_FIELD / OUT_OF_RANGE
  const wait = replies.wait(
    dev,
    (r) =>
      (r.type === 'TRAIN_STATUS' && r.sessionId === m.sessionId) ||
      (r.type === 'ERROR' && r.re !== undefined && messageIdHex(r.re) === messageIdHex(m.id)),
    timeoutMs,
  );
  wait.catch(() => {}); // awaited below, unless the send fails first
  if (!d.send(m)) throw new ProtocolError('BUSY', `link queue of ${dev} is full`);
  const r = await wait;
  if (r.type === 'ERROR') throw new ProtocolError(errorName(r.code), r.text ?? `device error ${r.code}`);
  if (r.type !== 'TRAIN_STATUS') throw new ProtocolError('INTERNAL', 'unexpected reply');
  return r;
}

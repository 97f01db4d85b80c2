/**
 * How a message of the catalog is declared (PROTOCOL.md §4): its type, spec section, direction, expected
 * reply, fields and cross-field rules. The codec, the spec tables and the test generators all read these
 * declarations, so the code, the spec and the tests cannot drift apart.
 */
import { MsgType, type MsgTypeName, P } from '../constants/index.js';
import type { BodyOf, Fields, Kind } from './fields.js';
import { bytes, list, text, U32_MAX, uint } from './fields.js';

/** `device`: may travel on the serial link, so it is bounded by P.LINK_MAX_MESSAGE_BYTES (§4.1.6). */
export type Hop = 'device' | 'gateway';
/** Whether the envelope key `re` (the id of the message answered) is required or optional. */
export type ReMode = 'required' | 'optional';

export interface MessageDef<
  N extends MsgTypeName = MsgTypeName,
  F extends Fields = Fields,
  R extends ReMode = ReMode,
  T extends ReMode = ReMode,
> {
  readonly type: N;
  /** MESSAGE_TYPES value, the envelope `t`. */
  readonly code: number;
  /** Section of PROTOCOL.md that defines it, e.g. '4.2.1'. */
  readonly section: string;
  /** Who sends it to whom. */
  readonly direction: string;
  /** What the receiver answers. */
  readonly reply: string;
  readonly re: R;
  /** Whether the envelope key `ts` is required (default optional). */
  readonly ts: T;
  readonly hop: Hop;
  readonly fields: F;
  /** Rules across fields; throws ProtocolError. `m` also carries the envelope. */
  check?(m: BodyOf<F> & Envelope, at: string): void;
}

/** Envelope keys every message has (PROTOCOL.md §4.1.1); `v` and `t` are implied by the type. */
export type Envelope = {
  /** Message id, 8..16 bytes, unique per sender (§4.1.5). */
  readonly id: Uint8Array;
  /** Sender's wall-clock time, ms since the Unix epoch (§4.1.1). */
  readonly ts?: number;
  /** Id of the message this one answers. */
  readonly re?: Uint8Array;
};

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The TypeScript type of a message declared by `D`. */
export type MessageOf<D extends MessageDef> = Simplify<
  { readonly type: D['type']; readonly id: Uint8Array } & (D['ts'] extends 'required'
    ? { readonly ts: number }
    : { readonly ts?: number }) &
    (D['re'] extends 'required' ? { readonly re: Uint8Array } : { readonly re?: Uint8Array }) &
    BodyOf<D['fields']>
>;

export function defineMessage<
  const N extends MsgTypeName,
  const F extends Fields,
  const R extends ReMode,
  const T extends ReMode = 'optional',
>(def: Omit<MessageDef<N, F, R, T>, 'code' | 'ts'> & { readonly ts?: T }): MessageDef<N, F, R, T> {
  return Object.freeze({ ...def, ts: def.ts ?? ('optional' as T), code: MsgType[def.type] });
}

// ---- kinds shared by several groups ---------------------------------------------------------------

/** Largest integer a uint field holds unless it says otherwise (exact in every implementation). */
export const UINT53_MAX = Number.MAX_SAFE_INTEGER;

/** Message ids, envelope `id` and `re` (§4.1.5). */
export const messageId = (): Kind<Uint8Array> => bytes(P.MESSAGE_ID_MIN_BYTES, P.MESSAGE_ID_MAX_BYTES);

/** Training session id; 0 is never a session. */
export const sessionId = (): Kind<number> => uint(1, U32_MAX);

/** Gateway and device ids (§2.6): also MQTT topic levels. */
export const deviceId = (): Kind<string> =>
  text({ min: 1, max: P.MESSAGE_MAX_NAME_BYTES, pattern: /^[A-Za-z0-9_-]+$/, patternDoc: '[A-Za-z0-9_-]' });

/** Short free text: names, versions. */
export const name = (): Kind<string> => text({ min: 1, max: P.MESSAGE_MAX_NAME_BYTES });

/** Free text: log lines, error messages. */
export const freeText = (): Kind<string> => text({ max: P.MESSAGE_MAX_TEXT_BYTES });

export const sha256 = (): Kind<Uint8Array> => bytes(32, 32);

/** An ERROR_CODES value other than OK; unknown codes are accepted (§4.1.7). */
export const errorCode = (): Kind<number> => uint(1, 0xffff, { range: '1..65535 (ERROR_CODES)' });

/** Times: ms since the Unix epoch. Durations: see each field. */
export const millis = (): Kind<number> => uint(0, UINT53_MAX);

/** Uint8 zero point of an affine quantization, real = scale * (q - zero point). */
export const zeroPoint = (): Kind<number> => uint(0, 255);

/** Tensor shape: 1..P.ARTIFACT_MAX_RANK dimensions, each 1..65535. */
export const shape = (): Kind<number[]> => list(uint(1, 0xffff), 1, P.ARTIFACT_MAX_RANK);

/** Product of the dimensions. */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

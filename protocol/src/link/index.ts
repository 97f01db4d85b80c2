/**
 * Serial link layer of the TinyFleet protocol (PROTOCOL.md §3): COBS framing, CRC-32, frame codec,
 * streaming deframer, and the selective-repeat link endpoint. The emulated UART lives in `./sim`.
 */
export { cobsDecode, cobsEncode, cobsMaxEncodedLength } from './cobs.js';
export { crc32 } from './crc.js';
export { type DecodeFailure, type DeframeResult, Deframer, type DeframerCounters } from './deframer.js';
export { LinkEndpoint } from './endpoint.js';
export {
  decodeFrame,
  encodeFrame,
  encodeRawFrame,
  type Frame,
  type FrameFields,
  type FrameHeader,
  maxEncodedFrameBytes,
  parseFrame,
  stuff,
  unframe,
} from './frame.js';
export {
  checkHello,
  decodeErrorPayload,
  decodeHello,
  decodeSack,
  type ErrorPayload,
  encodeErrorPayload,
  encodeHello,
  encodeSack,
  type HelloPayload,
} from './payloads.js';
export { seqAdd, seqDiff } from './seq.js';
export * as sim from './sim/index.js';
export {
  LINK_DEFAULTS,
  type LinkEndpointOptions,
  type LinkEvent,
  type LinkParams,
  type LinkState,
  type LinkStats,
  type SessionLoss,
} from './types.js';

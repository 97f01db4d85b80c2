/**
 * Large objects over MQTT: BLOCK_REQUEST, BLOCK_DATA (PROTOCOL.md §4.8). The transfer and its resume are
 * §2.7; the TypeScript fields match `BlockRequest` / `BlockData` of `../../mqtt/block-receiver.ts`.
 */
import { P } from '../../constants/index.js';
import { ProtocolError } from '../../errors.js';
import { defineMessage, type MessageOf } from '../define.js';
import { badField, bytes, type Kind, outOfRange, req, uint } from '../fields.js';
import { checkBitmap } from './ota.js';

/** Object id: SHA-256 of the object; bstr of 32 bytes on the wire, lowercase hex in TypeScript. */
export function objectId(): Kind<string> {
  const raw = bytes(32, 32);
  return {
    info: { k: 'hex', bytes: 32 },
    cbor: raw.cbor,
    range: raw.range,
    maxBytes: raw.maxBytes,
    decode: (v, at) => Buffer.from(raw.decode(v, at)).toString('hex'),
    toWire(v) {
      if (typeof v !== 'string' || !/^[0-9a-f]{64}$/.test(v))
        throw badField('oid', 'not 64 lowercase hex digits');
      return new Uint8Array(Buffer.from(v, 'hex'));
    },
  };
}

const MAX_BLOCKS = P.BLOCK_MAX_OBJECT_BYTES; // with a 1-byte block size
/** Most blocks a BLOCK_REQUEST can describe: its bitmap is at most 128 KiB (§4.8.1). */
const MAX_REQUEST_BLOCKS = 2 ** 20;

// PROTOCOL.md §4.8.1
export const BLOCK_REQUEST = defineMessage({
  type: 'BLOCK_REQUEST',
  section: '4.8.1',
  direction: 'gateway → cloud',
  reply: 'one BLOCK_DATA per wanted block, or ERROR',
  re: 'optional',
  hop: 'gateway',
  fields: {
    objectId: req('oid', objectId(), 'SHA-256 of the object.'),
    size: req('size', uint(1, P.BLOCK_MAX_OBJECT_BYTES, { over: 'TOO_LARGE' }), 'Object size.', 'bytes'),
    blockSize: req(
      'bs',
      uint(1, P.OTA_BLOCK_BYTES),
      'Block size; version 1 uses P.OTA_BLOCK_BYTES.',
      'bytes',
    ),
    wanted: req(
      'want',
      bytes(1, MAX_REQUEST_BLOCKS / 8),
      'Blocks wanted now, §2.7 bitmap of ceil(size / bs) blocks.',
    ),
  },
  check(m, at) {
    const blocks = Math.ceil(m.size / m.blockSize);
    if (blocks > MAX_REQUEST_BLOCKS)
      throw outOfRange(`${at}.bs`, `${blocks} blocks; at most 2^20 per object`);
    const set = checkBitmap(m.wanted, blocks, `${at}.want`);
    if (set === 0) throw badField(`${at}.want`, 'no block wanted');
    if (set > P.BLOCK_MAX_BURST) {
      throw new ProtocolError('TOO_LARGE', `${at}.want: ${set} blocks wanted, at most ${P.BLOCK_MAX_BURST}`);
    }
  },
});
export type BlockRequestMessage = MessageOf<typeof BLOCK_REQUEST>;

// PROTOCOL.md §4.8.2
export const BLOCK_DATA = defineMessage({
  type: 'BLOCK_DATA',
  section: '4.8.2',
  direction: 'cloud → gateway',
  reply: 'none',
  re: 'optional',
  hop: 'gateway',
  fields: {
    objectId: req('oid', objectId(), 'SHA-256 of the object.'),
    index: req('i', uint(0, MAX_BLOCKS - 1), 'Block index; the block starts at byte i * bs.'),
    total: req('nb', uint(1, MAX_BLOCKS), 'Blocks in the object, ceil(size / bs).'),
    data: req('d', bytes(1, P.OTA_BLOCK_BYTES), 'Block bytes: bs, the last block the rest.'),
  },
  check(m, at) {
    if (m.index >= m.total) throw outOfRange(`${at}.i`, `index ${m.index} >= nb ${m.total}`);
  },
});
export type BlockDataMessage = MessageOf<typeof BLOCK_DATA>;

export const BLOCK_MESSAGES = [BLOCK_REQUEST, BLOCK_DATA] as const;

/**
 * OTA on the device hop: OTA_OFFER, OTA_BLOCK, OTA_COMMIT, OTA_TEST_BOOT, OTA_CONFIRM, OTA_REVERT,
 * OTA_STATUS (PROTOCOL.md §4.6). The device state machine is §4.6.1; the bitmap layout is §2.7's.
 */
import { P } from '../../constants/index.js';
import { OTA_STATES } from '../../constants/table.js';
import { ProtocolError } from '../../errors.js';
import { defineMessage, errorCode, type MessageOf, sha256, shape, shapeSize, zeroPoint } from '../define.js';
import { badField, bytes, enumeration, f32, opt, outOfRange, req, U32_MAX, uint } from '../fields.js';

const MAX_SIZE = P.OTA_MAX_BLOCKS * P.OTA_BLOCK_BYTES;

/** Byte length of a bitmap of `count` blocks (PROTOCOL.md §2.7). */
export function bitmapBytes(count: number): number {
  return Math.ceil(count / 8);
}

/**
 * Checks a block bitmap of `count` blocks (PROTOCOL.md §2.7): exactly ceil(count / 8) bytes, block i is
 * bit (i mod 8) of byte floor(i / 8), spare bits zero. Codes as §2.7: TRUNCATED when shorter, TOO_LARGE
 * when longer, BAD_FIELD for a spare bit set. Returns the number of bits set.
 */
export function checkBitmap(map: Uint8Array, count: number, at: string): number {
  const want = bitmapBytes(count);
  if (map.length < want)
    throw new ProtocolError('TRUNCATED', `${at}: ${map.length} bytes for ${count} blocks`);
  if (map.length > want)
    throw new ProtocolError('TOO_LARGE', `${at}: ${map.length} bytes for ${count} blocks`);
  const spare = count % 8;
  if (spare !== 0 && map[map.length - 1]! >> spare !== 0) throw badField(at, 'bits set past the last block');
  let set = 0;
  for (const b of map) for (let x = b; x !== 0; x &= x - 1) set++;
  return set;
}

const shaOnly = (section: string, type: 'OTA_COMMIT' | 'OTA_CONFIRM' | 'OTA_REVERT', reply: string) =>
  defineMessage({
    type,
    section,
    direction: 'gateway → device',
    reply,
    re: 'optional',
    hop: 'device',
    fields: { sha256: req('sha', sha256(), 'Artifact of the transfer.') },
  });

// PROTOCOL.md §4.6.2
export const OTA_OFFER = defineMessage({
  type: 'OTA_OFFER',
  section: '4.6.2',
  direction: 'gateway → device',
  reply: 'OTA_STATUS, or ERROR',
  re: 'optional',
  hop: 'device',
  fields: {
    sha256: req('sha', sha256(), 'Artifact digest (§5.8, header field sha256); names the transfer.'),
    size: req(
      'size',
      uint(1, MAX_SIZE),
      'Bytes to transfer: the artifact file, signature envelope included.',
      'bytes',
    ),
    blockSize: req(
      'bs',
      uint(P.OTA_BLOCK_BYTES, P.OTA_BLOCK_BYTES, { range: 'P.OTA_BLOCK_BYTES' }),
      'Block size.',
      'bytes',
    ),
    blocks: req('nb', uint(1, P.OTA_MAX_BLOCKS), 'Block count, ceil(size / bs).'),
    modelVersion: req('mver', uint(0, U32_MAX), 'Model version of the artifact (§5.2).'),
    keyId: req('kid', bytes(8, 8), 'Key id of the artifact signature (§5.9); all zero: unsigned.'),
  },
  check(m, at) {
    if (m.blocks !== Math.ceil(m.size / m.blockSize))
      throw outOfRange(`${at}.nb`, 'nb is not ceil(size / bs)');
  },
});
export type OtaOffer = MessageOf<typeof OTA_OFFER>;

// PROTOCOL.md §4.6.3
export const OTA_BLOCK = defineMessage({
  type: 'OTA_BLOCK',
  section: '4.6.3',
  direction: 'gateway → device',
  reply: 'none, or ERROR',
  re: 'optional',
  hop: 'device',
  fields: {
    sha256: req('sha', sha256(), 'Artifact of the transfer.'),
    index: req('i', uint(0, P.OTA_MAX_BLOCKS - 1), 'Block index; the block starts at byte i * bs.'),
    data: req(
      'd',
      bytes(1, P.OTA_BLOCK_BYTES),
      'Block bytes: bs bytes, the last block size - (nb - 1) * bs.',
    ),
  },
});
export type OtaBlock = MessageOf<typeof OTA_BLOCK>;

// PROTOCOL.md §4.6.4 .. §4.6.7
export const OTA_COMMIT = shaOnly(
  '4.6.4',
  'OTA_COMMIT',
  'OTA_STATUS (RECEIVING, VERIFYING, VERIFIED or FAILED)',
);
export const OTA_TEST_BOOT = defineMessage({
  type: 'OTA_TEST_BOOT',
  section: '4.6.5',
  direction: 'gateway → device',
  reply: 'OTA_STATUS (TEST_BOOTING or REVERTED), or ERROR',
  re: 'optional',
  hop: 'device',
  fields: {
    sha256: req('sha', sha256(), 'Artifact of the transfer.'),
    shape: opt('shape', shape(), 'Smoke test input shape, NHWC, first dimension 1.'),
    x: opt('x', bytes(1, P.MESSAGE_MAX_TENSOR_BYTES), 'Smoke test input, uint8, row-major.'),
    inputScale: opt('xs', f32({ min: 0, aboveMin: true }), "Its scale; MUST equal the new model input's."),
    inputZeroPoint: opt('xz', zeroPoint(), "Its zero point; MUST equal the new model input's."),
    outputSha256: opt('ysha', sha256(), 'SHA-256 of the exact uint8 output the new model must produce.'),
  },
  check(m, at) {
    const n = [m.shape, m.x, m.inputScale, m.inputZeroPoint, m.outputSha256].filter(
      (v) => v !== undefined,
    ).length;
    if (n !== 0 && n !== 5) throw badField(at, 'shape, x, xs, xz and ysha go together');
    if (m.shape && m.x) {
      if (m.shape[0] !== 1) throw outOfRange(`${at}.shape`, 'first dimension must be 1');
      if (m.x.length !== shapeSize(m.shape))
        throw outOfRange(`${at}.x`, 'length is not the product of shape');
    }
  },
});
export const OTA_CONFIRM = shaOnly('4.6.6', 'OTA_CONFIRM', 'OTA_STATUS (CONFIRMED), or ERROR');
export const OTA_REVERT = shaOnly('4.6.7', 'OTA_REVERT', 'OTA_STATUS (REVERTED or IDLE), or ERROR');
export type OtaCommit = MessageOf<typeof OTA_COMMIT>;
export type OtaTestBoot = MessageOf<typeof OTA_TEST_BOOT>;
export type OtaConfirm = MessageOf<typeof OTA_CONFIRM>;
export type OtaRevert = MessageOf<typeof OTA_REVERT>;

// PROTOCOL.md §4.6.8
export const OTA_STATUS = defineMessage({
  type: 'OTA_STATUS',
  section: '4.6.8',
  direction: 'device → gateway (relayed to the cloud)',
  reply: 'none',
  re: 'optional',
  hop: 'device',
  fields: {
    state: req('st', enumeration(OTA_STATES, 'OTA_STATES'), 'State of §4.6.1.'),
    sha256: opt('sha', sha256(), 'Artifact of the transfer; required unless st = IDLE.'),
    modelVersion: opt('mver', uint(0, U32_MAX), 'Model version of that artifact.'),
    blocks: opt('nb', uint(1, P.OTA_MAX_BLOCKS), 'Block count of the transfer; present iff have.'),
    have: opt(
      'have',
      bytes(1, bitmapBytes(P.OTA_MAX_BLOCKS)),
      'Received blocks, §2.7 bitmap; required in RECEIVING.',
    ),
    activeSlot: opt('aslot', uint(0, 1), 'Slot running now, 0 = A, 1 = B; absent: no model.'),
    pendingSlot: opt('pslot', uint(0, 1), 'Slot holding the transfer; absent in IDLE.'),
    error: opt('err', errorCode(), 'Reason; required in FAILED, optional in REVERTED.'),
  },
  check(m, at) {
    if (m.state !== 'IDLE' && m.sha256 === undefined) throw badField(`${at}.sha`, `required in ${m.state}`);
    if ((m.blocks === undefined) !== (m.have === undefined))
      throw badField(`${at}.have`, 'nb and have go together');
    if (m.state === 'RECEIVING' && m.have === undefined)
      throw badField(`${at}.have`, 'required in RECEIVING');
    if (m.have !== undefined) checkBitmap(m.have, m.blocks!, `${at}.have`);
    if (m.state === 'FAILED' && m.error === undefined) throw badField(`${at}.err`, 'required in FAILED');
  },
});
export type OtaStatus = MessageOf<typeof OTA_STATUS>;

export const OTA_MESSAGES = [
  OTA_OFFER,
  OTA_BLOCK,
  OTA_COMMIT,
  OTA_TEST_BOOT,
  OTA_CONFIRM,
  OTA_REVERT,
  OTA_STATUS,
] as const;

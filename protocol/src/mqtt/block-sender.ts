/**
 * The sending side of block transfer (PROTOCOL.md §2.7 step 4): stateless, it answers one BLOCK_REQUEST
 * with the BLOCK_DATA values to publish. The caller has already looked the object up by its id and checked
 * that the requesting gateway may fetch it.
 */
import { P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import type { BlockData } from './block-receiver.js';
import { BlockBitmap, blockCount, sliceBlock } from './blocks.js';

/** The fields of a BLOCK_REQUEST the sender reads (§4.7). */
export interface BlockRequestFields {
  readonly objectId: string;
  readonly size: number;
  readonly blockSize: number;
  readonly wanted: Uint8Array;
}

export interface AnswerOptions {
  /** Block size this sender serves; version 1: P.OTA_BLOCK_BYTES. */
  readonly blockSize?: number;
  /** Most blocks one request may want; default P.BLOCK_MAX_BURST. */
  readonly maxBurst?: number;
}

/**
 * Validate `req` against the object and return its wanted blocks in ascending order. Throws ProtocolError:
 * BAD_FIELD for another object id, size or block size, or an empty request; TRUNCATED / TOO_LARGE /
 * BAD_FIELD for a malformed bitmap; TOO_LARGE for more than maxBurst blocks.
 */
export function answerBlockRequest(
  object: Uint8Array,
  objectId: string,
  req: BlockRequestFields,
  opts: AnswerOptions = {},
): BlockData[] {
  const blockSize = opts.blockSize ?? P.OTA_BLOCK_BYTES;
  const maxBurst = opts.maxBurst ?? P.BLOCK_MAX_BURST;
  if (req.objectId !== objectId) throw new ProtocolError('BAD_FIELD', 'request is for another object');
  if (req.size !== object.length) {
    throw new ProtocolError('BAD_FIELD', `request says ${req.size} bytes, object has ${object.length}`);
  }
  if (req.blockSize !== blockSize) {
    throw new ProtocolError('BAD_FIELD', `block size ${req.blockSize}, this sender serves ${blockSize}`);
  }
  const total = blockCount(object.length, blockSize);
  const wanted = BlockBitmap.fromBytes(req.wanted, total);
  if (wanted.setCount === 0) throw new ProtocolError('BAD_FIELD', 'request wants no block');
  if (wanted.setCount > maxBurst) {
    throw new ProtocolError('TOO_LARGE', `request wants ${wanted.setCount} blocks, at most ${maxBurst}`);
  }
  return [...wanted.present()].map((index) => ({
    objectId,
    index,
    total,
    data: sliceBlock(object, index, blockSize),
  }));
}

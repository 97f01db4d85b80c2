/**
 * Model artifact reader (PROTOCOL.md §5.10): validates everything a device relies on and returns a
 * typed view. Tensor data are views of the input bytes (no copy). Throws only ProtocolError.
 */
import { ArtifactFlag, P } from '../constants/index.js';
import { ProtocolError, wrapErrors } from '../errors.js';
import { check, FieldReader } from './bytes.js';
import { contentSha256, SHA256_BYTES, toHex } from './hash.js';
import { align, H, SEC, SIG } from './layout.js';
import { readOps } from './read-ops.js';
import { readTensors } from './read-tensors.js';
import { readTraining } from './read-training.js';
import type { ArtifactSignature, ParsedArtifact, SectionInfo } from './types.js';

export interface ReadArtifactOptions {
  /** Reject with INCOMPATIBLE an artifact that needs a newer runtime ABI than this. */
  readonly maxAbiVersion?: number;
}

const SECTION_NAMES = ['OPS', 'TENSORS', 'QPARAMS', 'TRAIN', 'DATA'] as const;

/** Header checks that come before the digest: enough to know where the content ends (§5.10 steps 1-3). */
function readFrame(r: FieldReader): { contentBytes: number; signature: ArtifactSignature | null } {
  const len = r.bytes.length;
  check(len >= 8, 'TRUNCATED', `artifact of ${len} bytes has no header`);
  check(r.u32(H.MAGIC) === P.ARTIFACT_MAGIC, 'MALFORMED', 'bad artifact magic');
  const version = r.u16(H.VERSION);
  check(version === P.ARTIFACT_VERSION, 'UNSUPPORTED_VERSION', `artifact format version ${version}`);
  check(r.u16(H.HEADER_BYTES) === P.ARTIFACT_HEADER_BYTES, 'MALFORMED', 'bad header size');
  check(len >= P.ARTIFACT_HEADER_BYTES, 'TRUNCATED', 'artifact header truncated');
  const contentBytes = r.u32(H.CONTENT_BYTES);
  check(
    contentBytes >= P.ARTIFACT_HEADER_BYTES && contentBytes % P.ARTIFACT_ALIGN === 0,
    'MALFORMED',
    `bad content size ${contentBytes}`,
  );
  check(len >= contentBytes, 'TRUNCATED', `artifact content truncated at ${len} of ${contentBytes} bytes`);
  const extra = len - contentBytes;
  if (extra === 0) return { contentBytes, signature: null };
  // PROTOCOL.md §5.9: the only thing allowed after the content is one signature envelope.
  check(extra >= P.ARTIFACT_SIG_BYTES, 'TRUNCATED', 'signature envelope truncated');
  check(extra === P.ARTIFACT_SIG_BYTES, 'MALFORMED', `${extra - P.ARTIFACT_SIG_BYTES} trailing bytes`);
  check(
    r.u32(contentBytes + SIG.MAGIC) === P.ARTIFACT_SIG_MAGIC,
    'MALFORMED',
    'bad signature envelope magic',
  );
  check(r.u32(contentBytes + SIG.RESERVED) === 0, 'BAD_FIELD', 'signature envelope reserved field not zero');
  const keyId = r.bytes.slice(contentBytes + SIG.KEY_ID, contentBytes + SIG.KEY_ID + SIG.KEY_ID_BYTES);
  const signature = r.bytes.slice(contentBytes + SIG.SIGNATURE, contentBytes + P.ARTIFACT_SIG_BYTES);
  if (keyId.every((b) => b === 0)) {
    check(
      signature.every((b) => b === 0),
      'BAD_FIELD',
      'unsigned envelope (zero key id) with a signature',
    );
    return { contentBytes, signature: null };
  }
  return { contentBytes, signature: { keyId, keyIdHex: toHex(keyId), signature } };
}

function readName(r: FieldReader): string {
  const field = r.bytes.subarray(H.NAME, H.NAME + P.ARTIFACT_NAME_BYTES);
  const end = field.indexOf(0);
  check(end >= 0, 'BAD_FIELD', 'model name is not NUL-terminated');
  check(r.zero(H.NAME + end, H.NAME + P.ARTIFACT_NAME_BYTES), 'BAD_FIELD', 'model name padding not zero');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(field.subarray(0, end));
  } catch (e) {
    throw new ProtocolError('BAD_FIELD', 'model name is not UTF-8', { cause: e });
  }
}

/** PROTOCOL.md §5.3: sections in directory order, each at the 16-aligned end of the previous one. */
function readSections(
  r: FieldReader,
  contentBytes: number,
  hasTraining: boolean,
): ParsedArtifact['sections'] {
  const out: Record<string, SectionInfo> = {};
  let at: number = P.ARTIFACT_HEADER_BYTES;
  SECTION_NAMES.forEach((name, i) => {
    const e = H.SECTIONS + i * SEC.ENTRY_BYTES;
    const offset = r.u32(e + SEC.OFFSET);
    const bytes = r.u32(e + SEC.BYTES);
    const count = r.u32(e + SEC.COUNT);
    check(r.u32(e + SEC.RESERVED) === 0, 'BAD_FIELD', `section ${name}: reserved field not zero`);
    check(offset === at, 'MALFORMED', `section ${name} at ${offset}, expected ${at}`);
    const end = offset + bytes;
    check(align(end) <= contentBytes, 'MALFORMED', `section ${name} ends past the content`);
    check(r.zero(end, align(end)), 'BAD_FIELD', `section ${name}: padding not zero`);
    at = align(end);
    out[name] = { offset, bytes, count };
  });
  check(at === contentBytes, 'MALFORMED', `content has ${contentBytes - at} bytes after the last section`);
  const s = out as ParsedArtifact['sections'];
  check(
    s.OPS.count >= 1 && s.OPS.bytes === s.OPS.count * P.ARTIFACT_OP_BYTES,
    'MALFORMED',
    'bad OPS section size',
  );
  check(
    s.TENSORS.count >= 1 &&
      s.TENSORS.count < P.ARTIFACT_NO_TENSOR &&
      s.TENSORS.bytes === s.TENSORS.count * P.ARTIFACT_TENSOR_BYTES,
    'MALFORMED',
    'bad TENSORS section size',
  );
  check(s.QPARAMS.bytes === s.QPARAMS.count * 8, 'MALFORMED', 'bad QPARAMS section size');
  const trainOk = hasTraining
    ? s.TRAIN.count >= 1 && s.TRAIN.bytes === P.ARTIFACT_TRAIN_BYTES + 2 * s.TRAIN.count
    : s.TRAIN.count === 0 && s.TRAIN.bytes === 0;
  check(trainOk, 'MALFORMED', 'TRAIN section does not match the HAS_TRAINING flag');
  return s;
}

function parse(bytes: Uint8Array, opts: ReadArtifactOptions): ParsedArtifact {
  const r = new FieldReader(bytes);
  const { contentBytes, signature } = readFrame(r);
  // PROTOCOL.md §5.8: nothing past the frame is trusted before the digest matches.
  const sha256 = bytes.slice(H.SHA256, H.SHA256 + SHA256_BYTES);
  const actual = contentSha256(bytes, contentBytes);
  check(
    actual.every((b, i) => b === sha256[i]),
    'SHA_MISMATCH',
    'artifact content does not match its sha256',
  );

  const flags = r.u32(H.FLAGS);
  check(
    (flags & ~ArtifactFlag.HAS_TRAINING) === 0,
    'BAD_FIELD',
    `unknown header flags 0x${flags.toString(16)}`,
  );
  const hasTraining = (flags & ArtifactFlag.HAS_TRAINING) !== 0;
  check(
    r.u16(H.RESERVED0) === 0 && r.zero(H.RESERVED1, H.NAME),
    'BAD_FIELD',
    'header reserved fields not zero',
  );
  const name = readName(r);
  const abiVersion = r.u16(H.ABI_VERSION);
  check(abiVersion >= 1, 'OUT_OF_RANGE', 'runtime ABI version 0');
  if (opts.maxAbiVersion !== undefined && abiVersion > opts.maxAbiVersion) {
    throw new ProtocolError(
      'INCOMPATIBLE',
      `artifact needs runtime ABI ${abiVersion} > ${opts.maxAbiVersion}`,
    );
  }
  const arenaInferBytes = r.u32(H.ARENA_INFER);
  const arenaTrainBytes = r.u32(H.ARENA_TRAIN);
  const ramBytes = r.u32(H.RAM_BYTES);
  // PROTOCOL.md §5.6
  check(
    hasTraining ? arenaTrainBytes >= arenaInferBytes : arenaTrainBytes === 0 && ramBytes === 0,
    'OUT_OF_RANGE',
    'training arena/RAM sizes inconsistent with HAS_TRAINING',
  );
  const sections = readSections(r, contentBytes, hasTraining);
  const input = r.u16(H.INPUT);
  const output = r.u16(H.OUTPUT);
  const tensors = readTensors(r, sections, {
    input,
    output,
    arenaInferBytes,
    arenaTrainBytes,
    ramBytes,
    hasTraining,
  });
  const ops = readOps(r, sections.OPS, tensors, input, output);
  const training = hasTraining ? readTraining(r, sections.TRAIN, ops, tensors) : null;
  return {
    formatVersion: P.ARTIFACT_VERSION,
    flags,
    contentBytes,
    name,
    modelVersion: r.u32(H.MODEL_VERSION),
    abiVersion,
    input,
    output,
    arenaInferBytes,
    arenaTrainBytes,
    ramBytes,
    sha256,
    sections,
    ops,
    tensors,
    training,
    signature,
  };
}

/** Parses and fully validates an artifact (PROTOCOL.md §5.10). Does not verify the signature. */
export function readArtifact(bytes: Uint8Array, opts: ReadArtifactOptions = {}): ParsedArtifact {
  if (!(bytes instanceof Uint8Array)) throw new ProtocolError('BAD_FIELD', 'artifact must be a Uint8Array');
  return wrapErrors('MALFORMED', 'artifact', () => parse(bytes, opts));
}

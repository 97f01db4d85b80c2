/**
 * Golden vectors of the model artifact format (PROTOCOL.md §5, §7): one small complete artifact,
 * signed with a deterministic TEST key and unsigned, plus a JSON description of every field.
 */
import { createHash } from 'node:crypto';
import {
  type ArtifactOp,
  exampleArtifactModel,
  keyIdOf,
  type ParsedArtifact,
  type ParsedTensor,
  privateKeyFromSeed,
  rawPublicKey,
  readArtifact,
  signArtifact,
  signedMessage,
  writeArtifact,
} from '../../src/artifact/index.js';
import { DType, EpsMode, OpKind, P, QuantKind, Storage, TensorFlag } from '../../src/constants/index.js';
import { ROUNDING_MODES, UPDATE_RULES } from '../../src/constants/table.js';
import { binFile, hex, jsonFile, type VectorFile } from './common.js';

/** The TEST signing key's seed: SHA-256 of this ASCII string. Never use it for real artifacts. */
const TEST_SEED_TEXT = 'TinyFleet TEST artifact signing key (public, not secret)';

export function testArtifactSeed(): Uint8Array {
  return new Uint8Array(createHash('sha256').update(TEST_SEED_TEXT, 'ascii').digest());
}

function opJson(op: ArtifactOp, index: number) {
  const base = { index, kind: op.kind, kind_value: OpKind[op.kind], inputs: op.inputs, output: op.output };
  switch (op.kind) {
    case 'CONV2D':
    case 'DEPTHWISE_CONV2D':
    case 'CONV1D':
    case 'MAXPOOL2D':
    case 'AVGPOOL2D': {
      const conv = 'dilationH' in op;
      return {
        ...base,
        params: {
          stride_h: op.strideH,
          stride_w: op.strideW,
          [conv ? 'dilation_h' : 'window_h']: conv ? op.dilationH : op.windowH,
          [conv ? 'dilation_w' : 'window_w']: conv ? op.dilationW : op.windowW,
          pad_top: op.padding.top,
          pad_left: op.padding.left,
          pad_bottom: op.padding.bottom,
          pad_right: op.padding.right,
          act_min: op.actMin,
          act_max: op.actMax,
        },
      };
    }
    case 'DENSE':
      return { ...base, params: { act_min: op.actMin, act_max: op.actMax } };
    case 'CONCAT':
      return { ...base, params: { axis: op.axis } };
    default:
      return { ...base, params: {} };
  }
}

function tensorJson(t: ParsedTensor, a: ParsedArtifact) {
  const q = t.quant;
  return {
    id: t.id,
    dtype: t.dtype,
    dtype_value: DType[t.dtype],
    storage: t.storage,
    storage_value: Storage[t.storage],
    flags: t.flags,
    flags_value: t.flags.reduce((m, f) => m | TensorFlag[f], 0),
    rank: t.shape.length,
    shape: t.shape,
    byte_size: t.byteSize,
    record_offset: a.sections.TENSORS.offset + t.id * P.ARTIFACT_TENSOR_BYTES,
    data_offset: t.dataOffset ?? 0,
    data_file_offset: t.dataOffset === undefined ? null : a.sections.DATA.offset + t.dataOffset,
    mem_offset: t.arenaOffset ?? t.ramOffset ?? 0,
    ref: t.ref ?? P.ARTIFACT_NO_TENSOR,
    quant: q.kind,
    quant_value: QuantKind[q.kind],
    ...(q.kind === 'PER_TENSOR' ? { scale: q.scale, zero_point: q.zeroPoint } : {}),
    ...(q.kind === 'PER_CHANNEL'
      ? {
          q_axis: q.axis,
          q_count: q.scales.length,
          q_offset: t.qOffset,
          scales: q.scales,
          zero_points: q.zeroPoints,
        }
      : {}),
    ...(t.data ? { data: hex(t.data) } : {}),
  };
}

function describeArtifact(a: ParsedArtifact, signed: Uint8Array, unsigned: Uint8Array, seed: Uint8Array) {
  const pub = rawPublicKey(privateKeyFromSeed(seed));
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  return {
    generator: 'protocol/scripts/vectors/artifact.ts',
    spec: 'PROTOCOL.md §5',
    description:
      'small.tfm = content || signature envelope; small-unsigned.tfm = the same content alone. 8x8x1 uint8 -> ' +
      'conv 3x3 (4 filters, int8 per-channel) -> relu -> maxpool 2 -> reshape -> dense 3 (trainable, RAM_COPY) -> softmax.',
    files: {
      signed: { path: 'artifact/small.tfm', bytes: signed.length, sha256: sha(signed) },
      unsigned: { path: 'artifact/small-unsigned.tfm', bytes: unsigned.length, sha256: sha(unsigned) },
    },
    header: {
      magic: P.ARTIFACT_MAGIC,
      format_version: a.formatVersion,
      header_bytes: P.ARTIFACT_HEADER_BYTES,
      flags: a.flags,
      content_bytes: a.contentBytes,
      model_version: a.modelVersion,
      abi_version: a.abiVersion,
      input_tensor: a.input,
      output_tensor: a.output,
      arena_infer_bytes: a.arenaInferBytes,
      arena_train_bytes: a.arenaTrainBytes,
      ram_bytes: a.ramBytes,
      name: a.name,
      sha256: hex(a.sha256),
      sections: Object.entries(a.sections).map(([name, s]) => ({ name, ...s })),
    },
    ops: a.ops.map(opJson),
    tensors: a.tensors.map((t) => tensorJson(t, a)),
    training: a.training && {
      lambda_min: a.training.lambdaMin,
      lambda_max: a.training.lambdaMax,
      learning_rate: a.training.learningRate,
      ema_activations: a.training.emaActivations,
      ema_errors: a.training.emaErrors,
      ema_weights: a.training.emaWeights,
      batch_size: a.training.batchSize,
      eps_mode: a.training.epsMode,
      eps_mode_value: EpsMode[a.training.epsMode],
      update: a.training.update,
      update_value: UPDATE_RULES.find((e) => e.name === a.training?.update)?.value,
      rounding: a.training.rounding,
      rounding_value: ROUNDING_MODES.find((e) => e.name === a.training?.rounding)?.value,
      trainable_ops: a.training.trainableOps,
    },
    signature: {
      envelope_offset: a.contentBytes,
      key_id: hex(a.signature!.keyId),
      signature: hex(a.signature!.signature),
      signed_message: hex(signedMessage(a.sha256)),
      test_key: {
        note: 'TEST key, public on purpose: seed = SHA-256 of seed_text. Devices MUST NOT trust it in production.',
        seed_text: TEST_SEED_TEXT,
        seed: hex(seed),
        public_key: hex(pub),
        key_id: keyIdOf(pub),
      },
    },
  };
}

export function generateArtifactVectors(): VectorFile[] {
  const seed = testArtifactSeed();
  const unsigned = writeArtifact(exampleArtifactModel());
  const signed = signArtifact(unsigned, seed);
  const parsed = readArtifact(signed);
  return [
    binFile('artifact/small.tfm', signed),
    binFile('artifact/small-unsigned.tfm', unsigned),
    jsonFile('artifact/small.json', describeArtifact(parsed, signed, unsigned, seed)),
  ];
}

/**
 * The one table of TinyFleet wire constants (PROTOCOL.md §1.4).
 *
 * Everything numeric that crosses a wire is defined here exactly once, with its documentation.
 * TypeScript code imports these tables; the C header for the firmware
 * (`firmware-templates/include/tinyfleet/tf_protocol.h`) is generated from them by
 * `npm run gen:header`, and a test fails when the committed header is stale.
 */

/** One named constant. `name` is SCREAMING_SNAKE; the C name is `<group prefix>_<name>`. */
export interface ConstEntry {
  readonly name: string;
  readonly value: number;
  readonly doc: string;
}

/** Scalar protocol parameters (PROTOCOL.md §1.3, §3, §5). */
export const PARAMS = [
  {
    name: 'PROTOCOL_VERSION',
    value: 1,
    doc: 'Version of this protocol; link HELLO, CBOR envelope "v", MQTT topic "v1".',
  },
  { name: 'LINK_HEADER_BYTES', value: 10, doc: 'Link frame header size in bytes (§3.2).' },
  { name: 'LINK_CRC_BYTES', value: 4, doc: 'CRC-32 trailer size in bytes (§3.3).' },
  {
    name: 'LINK_MIN_FRAME_PAYLOAD',
    value: 64,
    doc: 'Smallest max-frame-payload a peer may offer in HELLO (§3.6).',
  },
  {
    name: 'LINK_MAX_FRAME_PAYLOAD',
    value: 4096,
    doc: 'Largest max-frame-payload a peer may offer in HELLO (§3.6).',
  },
  {
    name: 'LINK_DEFAULT_FRAME_PAYLOAD',
    value: 256,
    doc: 'Frame payload limit before HELLO completes (§3.6).',
  },
  {
    name: 'LINK_MAX_WINDOW',
    value: 32,
    doc: 'Largest send/receive window in frames; the SACK bitmap has 32 bits (§3.5).',
  },
  { name: 'LINK_DEFAULT_WINDOW', value: 4, doc: 'Window before HELLO completes (§3.6).' },
  {
    name: 'LINK_MAX_MESSAGE_BYTES',
    value: 65536,
    doc: 'Largest reassembled message a peer may offer in HELLO (§3.4).',
  },
  { name: 'LINK_HELLO_PAYLOAD_BYTES', value: 16, doc: 'Size of the HELLO / HELLO_ACK frame payload (§3.6).' },
  {
    name: 'LINK_ACK_PAYLOAD_BYTES',
    value: 4,
    doc: 'Size of the ACK frame payload, the u32 selective-ack bitmap (§3.5.4).',
  },
  { name: 'MQTT_MAX_PAYLOAD_BYTES', value: 262144, doc: 'Largest MQTT payload any peer publishes (§2.6).' },
  {
    name: 'OTA_BLOCK_BYTES',
    value: 4096,
    doc: 'OTA block size on MQTT and serial, except the last block (§2.7, §4.6).',
  },
  { name: 'BLOCK_MAX_BURST', value: 16, doc: 'Most blocks one BLOCK_REQUEST may want at once (§2.7).' },
  {
    name: 'BLOCK_MAX_OBJECT_BYTES',
    value: 67108864,
    doc: 'Largest object sent by block transfer, 64 MiB (§2.7).',
  },
  // CBOR message limits (§4.1); every limit of the catalog that a C decoder must enforce.
  { name: 'MESSAGE_ID_MIN_BYTES', value: 8, doc: 'Shortest message id, envelope "id" and "re" (§4.1).' },
  { name: 'MESSAGE_ID_MAX_BYTES', value: 16, doc: 'Longest message id, envelope "id" and "re" (§4.1).' },
  {
    name: 'MESSAGE_MAX_DEPTH',
    value: 8,
    doc: 'Deepest nesting of arrays, maps and tags; the envelope map is 1 (§4.1).',
  },
  {
    name: 'MESSAGE_MAX_NAME_BYTES',
    value: 64,
    doc: 'Longest short text (ids, names, versions, core) in UTF-8 bytes (§4.1).',
  },
  {
    name: 'MESSAGE_MAX_TEXT_BYTES',
    value: 256,
    doc: 'Longest free text (log line, error text) in UTF-8 bytes (§4.1).',
  },
  {
    name: 'MESSAGE_MAX_TENSOR_BYTES',
    value: 49152,
    doc: 'Longest tensor byte string: samples, inference in/out, gradient values (§4.1).',
  },
  { name: 'MESSAGE_MAX_BATCH_SAMPLES', value: 64, doc: 'Most samples in one SAMPLE_BATCH (§4.3).' },
  {
    name: 'MESSAGE_MAX_TRAIN_LAYERS',
    value: 16,
    doc: 'Most trainable layers in one training session (§4.4).',
  },
  {
    name: 'MESSAGE_MAX_GRAD_STRUCTURES',
    value: 4096,
    doc: 'Most structures (filters, rows) in one GRAD_UPDATE (§4.4).',
  },
  { name: 'MESSAGE_MAX_OP_KINDS', value: 64, doc: 'Most entries in the HELLO op kind list (§4.2).' },
  {
    name: 'OTA_MAX_BLOCKS',
    value: 4096,
    doc: 'Most blocks in one OTA transfer (16 MiB); bitmap at most 512 bytes (§4.6).',
  },
  {
    name: 'ARTIFACT_MAGIC',
    value: 0x4d465454,
    doc: 'Model artifact magic, the bytes "TTFM" little-endian (§5.2).',
  },
  { name: 'ARTIFACT_VERSION', value: 1, doc: 'Model artifact format version (§5.2).' },
  {
    name: 'ARTIFACT_ALIGN',
    value: 16,
    doc: 'Alignment of every artifact section and tensor data block (§5.1).',
  },
  { name: 'ARTIFACT_HEADER_BYTES', value: 192, doc: 'Size of the artifact header (§5.2).' },
  { name: 'ARTIFACT_SECTION_COUNT', value: 5, doc: 'Entries in the header section directory (§5.3).' },
  { name: 'ARTIFACT_OP_BYTES', value: 48, doc: 'Size of one op record (§5.4).' },
  { name: 'ARTIFACT_MAX_OP_INPUTS', value: 4, doc: 'Input slots in an op record (§5.4).' },
  { name: 'ARTIFACT_TENSOR_BYTES', value: 64, doc: 'Size of one tensor record (§5.5).' },
  { name: 'ARTIFACT_MAX_RANK', value: 4, doc: 'Largest tensor rank (§5.5).' },
  { name: 'ARTIFACT_NO_TENSOR', value: 0xffff, doc: 'Tensor id meaning "none" (§5.4, §5.5).' },
  { name: 'ARTIFACT_TRAIN_BYTES', value: 32, doc: 'Size of the fixed training defaults record (§5.7).' },
  { name: 'ARTIFACT_NAME_BYTES', value: 32, doc: 'Size of the NUL-padded UTF-8 model name field (§5.2).' },
  { name: 'ARTIFACT_ABI_VERSION', value: 1, doc: 'Runtime ABI version of this protocol (§5.2).' },
  { name: 'ARTIFACT_SIG_MAGIC', value: 0x47534654, doc: 'Signature envelope magic, "TFSG" LE (§5.9).' },
  { name: 'ARTIFACT_SIG_BYTES', value: 80, doc: 'Size of the signature envelope after the content (§5.9).' },
] as const satisfies readonly ConstEntry[];

/** Link frame types, header byte 1 (PROTOCOL.md §3.2). */
export const FRAME_TYPES = [
  { name: 'DATA', value: 0x01, doc: 'Sequenced, acknowledged payload fragment of a message.' },
  {
    name: 'ACK',
    value: 0x02,
    doc: 'Cumulative ack in the header, 32-bit selective-ack bitmap in the payload.',
  },
  {
    name: 'HELLO',
    value: 0x03,
    doc: 'Opens or reopens a link; proposes version, frame size, window (§3.6).',
  },
  { name: 'HELLO_ACK', value: 0x04, doc: 'Answers HELLO with the negotiated parameters (§3.6).' },
  { name: 'ERROR', value: 0x05, doc: 'Unsequenced link error report: u16 error code + optional UTF-8 text.' },
] as const satisfies readonly ConstEntry[];

/** Link header flag bits, header byte 2 (PROTOCOL.md §3.2). */
export const FRAME_FLAGS = [
  { name: 'ACK_VALID', value: 0x01, doc: 'The header ack field is a valid cumulative acknowledgement.' },
  { name: 'MORE', value: 0x02, doc: 'DATA: more fragments of the same message follow (§3.4).' },
] as const satisfies readonly ConstEntry[];

/** Application message types, CBOR envelope key "t" (PROTOCOL.md §4). */
export const MESSAGE_TYPES = [
  // §4.2 device session
  {
    name: 'HELLO',
    value: 0x01,
    doc: 'device -> gateway: identity and capabilities, sent after every link HELLO.',
  },
  { name: 'HELLO_ACK', value: 0x02, doc: 'gateway -> device: accepted; wall-clock time and assigned names.' },
  { name: 'HEARTBEAT', value: 0x03, doc: 'device -> gateway: periodic status (uptime, state, free memory).' },
  { name: 'LOG', value: 0x04, doc: 'device -> gateway -> cloud: a log line with level.' },
  { name: 'ERROR', value: 0x05, doc: 'any direction: error reply to the message whose id is "re".' },
  // §4.3 samples
  {
    name: 'SAMPLE_BATCH',
    value: 0x10,
    doc: 'gateway -> device: labelled samples for training or inference.',
  },
  {
    name: 'SAMPLE_CREDIT',
    value: 0x11,
    doc: 'device -> gateway: flow control, how many more samples it accepts.',
  },
  // §4.4 training
  {
    name: 'TRAIN_START',
    value: 0x20,
    doc: 'gateway -> device: start a training session with its configuration.',
  },
  { name: 'TRAIN_STOP', value: 0x21, doc: 'gateway -> device: stop the training session.' },
  { name: 'TRAIN_CONFIG', value: 0x22, doc: 'gateway -> device: change the running session configuration.' },
  {
    name: 'TRAIN_STATUS',
    value: 0x23,
    doc: 'device -> gateway: session state change (started, stopped, done, failed).',
  },
  { name: 'TRAIN_METRICS', value: 0x24, doc: 'device -> gateway -> cloud: per-step training metrics.' },
  {
    name: 'GRAD_UPDATE',
    value: 0x25,
    doc: 'device -> gateway -> cloud: partial gradient update of one layer.',
  },
  // §4.5 inference
  { name: 'INFER_REQUEST', value: 0x30, doc: 'gateway -> device: run inference on one input.' },
  { name: 'INFER_RESULT', value: 0x31, doc: 'device -> gateway: quantized output and the predicted class.' },
  // §4.6 OTA on the device hop
  {
    name: 'OTA_OFFER',
    value: 0x40,
    doc: 'gateway -> device: a model artifact is available (size, sha256, blocks).',
  },
  { name: 'OTA_BLOCK', value: 0x41, doc: 'gateway -> device: one block of the artifact.' },
  { name: 'OTA_COMMIT', value: 0x42, doc: 'gateway -> device: all blocks sent; verify the inactive slot.' },
  {
    name: 'OTA_TEST_BOOT',
    value: 0x43,
    doc: 'gateway -> device: boot the new slot on trial and run the smoke test.',
  },
  { name: 'OTA_CONFIRM', value: 0x44, doc: 'gateway -> device: make the trial slot permanent.' },
  { name: 'OTA_REVERT', value: 0x45, doc: 'gateway -> device: return to the previous slot.' },
  {
    name: 'OTA_STATUS',
    value: 0x46,
    doc: 'device -> gateway -> cloud: OTA state, received-block bitmap, reason.',
  },
  // §4.7 gateway level (MQTT only)
  {
    name: 'GW_STATUS',
    value: 0x60,
    doc: 'gateway -> cloud: presence and health (retained; also the last will).',
  },
  { name: 'GW_COMMAND', value: 0x61, doc: 'cloud -> gateway: a command (start/stop session, OTA job, ...).' },
  { name: 'GW_COMMAND_RESULT', value: 0x62, doc: 'gateway -> cloud: outcome of a GW_COMMAND.' },
  {
    name: 'BLOCK_REQUEST',
    value: 0x70,
    doc: 'gateway -> cloud: request blocks of a large object (bitmap of wanted).',
  },
  { name: 'BLOCK_DATA', value: 0x71, doc: 'cloud -> gateway: one block of a large object.' },
] as const satisfies readonly ConstEntry[];

/** Error codes shared by the link layer, CBOR messages and typed errors (PROTOCOL.md §1.5). */
export const ERROR_CODES = [
  { name: 'OK', value: 0, doc: 'No error.' },
  { name: 'MALFORMED', value: 1, doc: 'Bytes could not be decoded (bad COBS, bad CBOR, bad structure).' },
  { name: 'CRC_MISMATCH', value: 2, doc: 'A frame failed its CRC-32 check.' },
  { name: 'UNSUPPORTED_VERSION', value: 3, doc: 'Protocol, artifact or ABI version not supported.' },
  { name: 'TOO_LARGE', value: 4, doc: 'A frame, message, payload or object exceeds its negotiated limit.' },
  { name: 'UNKNOWN_TYPE', value: 5, doc: 'Unknown frame type, message type or op kind.' },
  { name: 'BAD_FIELD', value: 6, doc: 'A field is missing, of the wrong type, or not allowed.' },
  { name: 'OUT_OF_RANGE', value: 7, doc: 'A value lies outside its allowed range.' },
  { name: 'TRUNCATED', value: 8, doc: 'Input ended before the structure did.' },
  { name: 'BUSY', value: 9, doc: 'No resources now (buffers, credits); retry later.' },
  { name: 'BAD_STATE', value: 10, doc: 'The request is not valid in the current state.' },
  { name: 'TIMEOUT', value: 11, doc: 'A peer did not answer in time.' },
  { name: 'LINK_DOWN', value: 12, doc: 'The link gave up after too many retransmissions or was reset.' },
  { name: 'SHA_MISMATCH', value: 13, doc: 'Content does not match its SHA-256.' },
  { name: 'BAD_SIGNATURE', value: 14, doc: 'Signature missing, unknown key id, or verification failed.' },
  { name: 'INCOMPATIBLE', value: 15, doc: 'Artifact needs a core, kernel, ABI or memory the device lacks.' },
  { name: 'NO_SPACE', value: 16, doc: 'Object does not fit the model slot or buffer.' },
  { name: 'FLASH_ERROR', value: 17, doc: 'Flash erase/program/read failed.' },
  {
    name: 'SMOKE_TEST_FAILED',
    value: 18,
    doc: 'Test boot ran the smoke inference and the output was wrong.',
  },
  { name: 'UNAUTHORIZED', value: 19, doc: 'Identity not allowed to do this (ACL, token).' },
  { name: 'DUPLICATE', value: 20, doc: 'Message id already processed (informational; not a failure).' },
  { name: 'INTERNAL', value: 21, doc: 'Unexpected internal failure.' },
] as const satisfies readonly ConstEntry[];

/** Model artifact op kinds (PROTOCOL.md §5.4). */
export const OP_KINDS = [
  { name: 'CONV2D', value: 1, doc: 'NHWC conv, OHWI weights, stride, dilation, explicit padding.' },
  { name: 'DEPTHWISE_CONV2D', value: 2, doc: 'NHWC depthwise conv, 1HWC weights, depth multiplier 1.' },
  { name: 'CONV1D', value: 3, doc: 'NWC conv over time, OWI weights.' },
  { name: 'DENSE', value: 4, doc: 'Fully connected, OI weights (one row per output).' },
  { name: 'RELU', value: 5, doc: 'max(x, zero point) in the quantized domain.' },
  { name: 'RELU6', value: 6, doc: 'Clamp to the quantized [0, 6].' },
  { name: 'MAXPOOL2D', value: 7, doc: 'Max pooling, NHWC.' },
  { name: 'AVGPOOL2D', value: 8, doc: 'Average pooling, NHWC.' },
  { name: 'GLOBAL_AVGPOOL', value: 9, doc: 'Mean over H and W.' },
  { name: 'ADD', value: 10, doc: 'Elementwise add with requantization (residual).' },
  { name: 'CONCAT', value: 11, doc: 'Concatenation along the axis given in its params.' },
  { name: 'RESHAPE', value: 12, doc: 'Reshape/flatten; no data movement.' },
  { name: 'SOFTMAX', value: 13, doc: 'Softmax to uint8 probabilities (scale 1/256).' },
] as const satisfies readonly ConstEntry[];

/** Tensor element types in the artifact (PROTOCOL.md §5.5). */
export const DTYPES = [
  { name: 'UINT8', value: 1, doc: 'Unsigned 8-bit, asymmetric per-tensor affine.' },
  { name: 'INT8', value: 2, doc: 'Signed 8-bit, symmetric (zero point 0), per-tensor or per-channel.' },
  { name: 'INT32', value: 3, doc: 'Signed 32-bit (bias; scale = s_in * s_w).' },
  { name: 'FLOAT32', value: 4, doc: 'IEEE 754 binary32 (host-side tools only; not executed by the MCU).' },
] as const satisfies readonly ConstEntry[];

/** Where a tensor's bytes live at run time (PROTOCOL.md §5.5). */
export const STORAGE = [
  { name: 'FLASH', value: 0, doc: 'Constant; used in place from the model slot.' },
  { name: 'ARENA', value: 1, doc: 'Activation or error tensor in the static arena at its planned offset.' },
  { name: 'RAM_COPY', value: 2, doc: 'Trainable weight copied from flash to RAM at load (dynamic weight).' },
] as const satisfies readonly ConstEntry[];

/** Artifact header flag bits, header offset 8 (PROTOCOL.md §5.2). */
export const ARTIFACT_FLAGS = [
  { name: 'HAS_TRAINING', value: 0x01, doc: 'The artifact has a TRAIN section (training defaults, §5.7).' },
] as const satisfies readonly ConstEntry[];

/** Tensor record flag bits (PROTOCOL.md §5.5). */
export const TENSOR_FLAGS = [
  { name: 'INPUT', value: 0x01, doc: 'The model input tensor (the header input tensor id).' },
  { name: 'OUTPUT', value: 0x02, doc: 'The model output tensor (the header output tensor id).' },
  { name: 'TRAINABLE', value: 0x04, doc: 'Weight or bias updated by on-device training; storage RAM_COPY.' },
  { name: 'ERROR', value: 0x08, doc: 'Training only: error (gradient) of the forward tensor named by ref.' },
  { name: 'SAVED', value: 0x10, doc: 'Training only: copy of the forward tensor ref, kept for backward.' },
] as const satisfies readonly ConstEntry[];

/** Tensor quantization kinds (PROTOCOL.md §5.5). */
export const QUANT_KINDS = [
  { name: 'NONE', value: 0, doc: 'Not quantized (FLOAT32, or a plain INT32 tensor).' },
  { name: 'PER_TENSOR', value: 1, doc: 'One float32 scale and int32 zero point in the tensor record.' },
  { name: 'PER_CHANNEL', value: 2, doc: 'Per-channel scales and zero points in the QPARAMS section.' },
] as const satisfies readonly ConstEntry[];

/** How on-device training computes eps for dynamic partial updates (PROTOCOL.md §5.7). */
export const EPS_MODES = [
  { name: 'LOSS_RATIO', value: 1, doc: 'eps = current loss / largest loss seen so far.' },
  { name: 'ERROR_RATIO', value: 2, doc: "eps = the layer's mean error magnitude / its largest so far." },
] as const satisfies readonly ConstEntry[];

/** Step direction of the FQT weight update, TRAIN record / TRAIN_START "upd" (PROTOCOL.md §6.6.10). */
export const UPDATE_RULES = [
  { name: 'STANDARDIZED', value: 0, doc: 'd = (g - mean(g)) / std(g) per structure (the default).' },
  { name: 'CENTERED', value: 1, doc: 'd = g - mean(g) per structure.' },
  { name: 'SGD', value: 2, doc: 'd = g, the mean gradient.' },
] as const satisfies readonly ConstEntry[];

/** Rounding of the weight requantization, TRAIN record / TRAIN_START "rnd" (PROTOCOL.md §6.6.10). */
export const ROUNDING_MODES = [
  { name: 'NEAREST', value: 0, doc: 'Round half to even (the default).' },
  {
    name: 'STOCHASTIC',
    value: 1,
    doc: 'Stochastic rounding of the updated structures, xorshift32 seeded by "seed".',
  },
] as const satisfies readonly ConstEntry[];

/** Artifact sections, in header directory and file order (PROTOCOL.md §5.3). */
export const ARTIFACT_SECTIONS = [
  { name: 'OPS', value: 0, doc: 'Op records, in execution order (§5.4).' },
  { name: 'TENSORS', value: 1, doc: 'Tensor records, indexed by tensor id (§5.5).' },
  { name: 'QPARAMS', value: 2, doc: 'Per-channel float32 scales and int32 zero points (§5.5).' },
  { name: 'TRAIN', value: 3, doc: 'Training defaults record and trainable op indices (§5.7).' },
  { name: 'DATA', value: 4, doc: 'Tensor data blocks of FLASH and RAM_COPY tensors (§5.5).' },
] as const satisfies readonly ConstEntry[];

/** Device states, HEARTBEAT "st" (PROTOCOL.md §4.2). */
export const DEVICE_STATES = [
  { name: 'IDLE', value: 0, doc: 'Running normally; no training session or OTA transfer in progress.' },
  { name: 'TRAINING', value: 1, doc: 'A training session is running.' },
  { name: 'UPDATING', value: 2, doc: 'An OTA transfer, verification or test boot is in progress.' },
  { name: 'FAULT', value: 3, doc: 'A fault stops normal operation (no usable model, flash error); see LOG.' },
] as const satisfies readonly ConstEntry[];

/** Log levels, LOG "lvl" (PROTOCOL.md §4.2). */
export const LOG_LEVELS = [
  { name: 'ERROR', value: 1, doc: 'Something failed.' },
  { name: 'WARN', value: 2, doc: 'Something unexpected that was handled.' },
  { name: 'INFO', value: 3, doc: 'Normal operation worth recording.' },
  { name: 'DEBUG', value: 4, doc: 'Diagnostics.' },
] as const satisfies readonly ConstEntry[];

/** Training session states, TRAIN_STATUS "st" (PROTOCOL.md §4.4). */
export const TRAIN_STATES = [
  { name: 'RUNNING', value: 1, doc: 'The session runs (started, or reconfigured).' },
  {
    name: 'STOPPED',
    value: 2,
    doc: 'Ended by TRAIN_STOP, or by the device before an OTA test boot (§4.6.1); "msg" says which.',
  },
  { name: 'DONE', value: 3, doc: 'Ended by reaching its step or sample limit.' },
  { name: 'FAILED', value: 4, doc: 'Ended by an error; "err" says which.' },
] as const satisfies readonly ConstEntry[];

/** What GRAD_UPDATE values are, GRAD_UPDATE "kind" (PROTOCOL.md §4.4). */
export const GRAD_KINDS = [
  { name: 'GRADIENT', value: 1, doc: 'The weight gradient dL/dw of the updated structures, real units.' },
  { name: 'DELTA', value: 2, doc: 'The weight change applied by the step (after minus before), real units.' },
] as const satisfies readonly ConstEntry[];

/** Device OTA states, OTA_STATUS "st" (PROTOCOL.md §4.6). */
export const OTA_STATES = [
  { name: 'IDLE', value: 0, doc: 'No transfer; the active slot runs.' },
  { name: 'RECEIVING', value: 1, doc: 'Blocks are being written to the inactive slot; "have" tells which.' },
  { name: 'VERIFYING', value: 2, doc: 'All blocks present; checking SHA-256 (and signature).' },
  { name: 'VERIFIED', value: 3, doc: 'The inactive slot holds the offered artifact, verified.' },
  {
    name: 'TEST_BOOTING',
    value: 4,
    doc: 'The new slot runs on trial after a passed smoke test; not yet confirmed.',
  },
  { name: 'CONFIRMED', value: 5, doc: 'The new slot is active and permanent.' },
  { name: 'REVERTED', value: 6, doc: 'The previous slot is active again; the new one is discarded.' },
  { name: 'FAILED', value: 7, doc: 'The transfer failed ("err"); the active slot is unchanged.' },
] as const satisfies readonly ConstEntry[];

/** Groups of the table with their C prefix; order is the order of the generated header. */
export const CONST_GROUPS = [
  { prefix: 'TF', title: 'Protocol parameters', entries: PARAMS },
  { prefix: 'TF_FRAME', title: 'Link frame types (§3.2)', entries: FRAME_TYPES },
  { prefix: 'TF_FLAG', title: 'Link header flags (§3.2)', entries: FRAME_FLAGS },
  { prefix: 'TF_MSG', title: 'Message types (§4)', entries: MESSAGE_TYPES },
  { prefix: 'TF_ERR', title: 'Error codes (§1.5)', entries: ERROR_CODES },
  { prefix: 'TF_OP', title: 'Artifact op kinds (§5.4)', entries: OP_KINDS },
  { prefix: 'TF_DTYPE', title: 'Tensor dtypes (§5.5)', entries: DTYPES },
  { prefix: 'TF_STORAGE', title: 'Tensor storage (§5.5)', entries: STORAGE },
  { prefix: 'TF_DEV_STATE', title: 'Device states (§4.2)', entries: DEVICE_STATES },
  { prefix: 'TF_LOG', title: 'Log levels (§4.2)', entries: LOG_LEVELS },
  { prefix: 'TF_TRAIN_STATE', title: 'Training session states (§4.4)', entries: TRAIN_STATES },
  { prefix: 'TF_GRAD', title: 'Gradient update kinds (§4.4)', entries: GRAD_KINDS },
  { prefix: 'TF_OTA_STATE', title: 'Device OTA states (§4.6)', entries: OTA_STATES },
  { prefix: 'TF_ARTIFACT_FLAG', title: 'Artifact header flags (§5.2)', entries: ARTIFACT_FLAGS },
  { prefix: 'TF_SECTION', title: 'Artifact sections (§5.3)', entries: ARTIFACT_SECTIONS },
  { prefix: 'TF_TENSOR_FLAG', title: 'Tensor flags (§5.5)', entries: TENSOR_FLAGS },
  { prefix: 'TF_QUANT', title: 'Tensor quantization kinds (§5.5)', entries: QUANT_KINDS },
  { prefix: 'TF_EPS', title: 'Training eps modes (§5.7)', entries: EPS_MODES },
  { prefix: 'TF_UPDATE', title: 'Training update rules (§6.6.10)', entries: UPDATE_RULES },
  { prefix: 'TF_ROUNDING', title: 'Training rounding modes (§6.6.10)', entries: ROUNDING_MODES },
] as const;

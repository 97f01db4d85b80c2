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
  { name: 'PROTOCOL_VERSION', value: 1, doc: 'Version of this protocol; link HELLO, CBOR envelope "v", MQTT topic "v1".' },
  { name: 'LINK_HEADER_BYTES', value: 10, doc: 'Link frame header size in bytes (§3.2).' },
  { name: 'LINK_CRC_BYTES', value: 4, doc: 'CRC-32 trailer size in bytes (§3.3).' },
  { name: 'LINK_MIN_FRAME_PAYLOAD', value: 64, doc: 'Smallest max-frame-payload a peer may offer in HELLO (§3.6).' },
  { name: 'LINK_MAX_FRAME_PAYLOAD', value: 4096, doc: 'Largest max-frame-payload a peer may offer in HELLO (§3.6).' },
  { name: 'LINK_DEFAULT_FRAME_PAYLOAD', value: 256, doc: 'Frame payload limit before HELLO completes (§3.6).' },
  { name: 'LINK_MAX_WINDOW', value: 32, doc: 'Largest send/receive window in frames; the SACK bitmap has 32 bits (§3.5).' },
  { name: 'LINK_DEFAULT_WINDOW', value: 4, doc: 'Window before HELLO completes (§3.6).' },
  { name: 'LINK_MAX_MESSAGE_BYTES', value: 65536, doc: 'Largest reassembled message a peer may offer in HELLO (§3.4).' },
  { name: 'LINK_HELLO_PAYLOAD_BYTES', value: 16, doc: 'Size of the HELLO / HELLO_ACK frame payload (§3.6).' },
  { name: 'MQTT_MAX_PAYLOAD_BYTES', value: 262144, doc: 'Largest MQTT payload any peer publishes (§2.6).' },
  { name: 'OTA_BLOCK_BYTES', value: 4096, doc: 'OTA block size on MQTT and serial, except the last block (§2.7, §4.9).' },
  { name: 'ARTIFACT_MAGIC', value: 0x4d465454, doc: 'Model artifact magic, the bytes "TTFM" little-endian (§5.2).' },
  { name: 'ARTIFACT_VERSION', value: 1, doc: 'Model artifact format version (§5.2).' },
  { name: 'ARTIFACT_ALIGN', value: 16, doc: 'Alignment of every artifact section and tensor data block (§5.1).' },
] as const satisfies readonly ConstEntry[];

/** Link frame types, header byte 1 (PROTOCOL.md §3.2). */
export const FRAME_TYPES = [
  { name: 'DATA', value: 0x01, doc: 'Sequenced, acknowledged payload fragment of a message.' },
  { name: 'ACK', value: 0x02, doc: 'Cumulative ack in the header, 32-bit selective-ack bitmap in the payload.' },
  { name: 'HELLO', value: 0x03, doc: 'Opens or reopens a link; proposes version, frame size, window (§3.6).' },
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
  { name: 'HELLO', value: 0x01, doc: 'device -> gateway: identity and capabilities, sent after every link HELLO.' },
  { name: 'HELLO_ACK', value: 0x02, doc: 'gateway -> device: accepted; wall-clock time and assigned names.' },
  { name: 'HEARTBEAT', value: 0x03, doc: 'device -> gateway: periodic status (uptime, state, free memory).' },
  { name: 'LOG', value: 0x04, doc: 'device -> gateway -> cloud: a log line with level.' },
  { name: 'ERROR', value: 0x05, doc: 'any direction: error reply to the message whose id is "re".' },
  // §4.3 samples
  { name: 'SAMPLE_BATCH', value: 0x10, doc: 'gateway -> device: labelled samples for training or inference.' },
  { name: 'SAMPLE_CREDIT', value: 0x11, doc: 'device -> gateway: flow control, how many more samples it accepts.' },
  // §4.4 training
  { name: 'TRAIN_START', value: 0x20, doc: 'gateway -> device: start a training session with its configuration.' },
  { name: 'TRAIN_STOP', value: 0x21, doc: 'gateway -> device: stop the training session.' },
  { name: 'TRAIN_CONFIG', value: 0x22, doc: 'gateway -> device: change the running session configuration.' },
  { name: 'TRAIN_STATUS', value: 0x23, doc: 'device -> gateway: session state change (started, stopped, done, failed).' },
  { name: 'TRAIN_METRICS', value: 0x24, doc: 'device -> gateway -> cloud: per-step training metrics.' },
  { name: 'GRAD_UPDATE', value: 0x25, doc: 'device -> gateway -> cloud: partial gradient update of one layer.' },
  // §4.5 inference
  { name: 'INFER_REQUEST', value: 0x30, doc: 'gateway -> device: run inference on one input.' },
  { name: 'INFER_RESULT', value: 0x31, doc: 'device -> gateway: quantized output and the predicted class.' },
  // §4.6 OTA on the device hop
  { name: 'OTA_OFFER', value: 0x40, doc: 'gateway -> device: a model artifact is available (size, sha256, blocks).' },
  { name: 'OTA_BLOCK', value: 0x41, doc: 'gateway -> device: one block of the artifact.' },
  { name: 'OTA_COMMIT', value: 0x42, doc: 'gateway -> device: all blocks sent; verify the inactive slot.' },
  { name: 'OTA_TEST_BOOT', value: 0x43, doc: 'gateway -> device: boot the new slot on trial and run the smoke test.' },
  { name: 'OTA_CONFIRM', value: 0x44, doc: 'gateway -> device: make the trial slot permanent.' },
  { name: 'OTA_REVERT', value: 0x45, doc: 'gateway -> device: return to the previous slot.' },
  { name: 'OTA_STATUS', value: 0x46, doc: 'device -> gateway -> cloud: OTA state, received-block bitmap, reason.' },
  // §4.7 gateway level (MQTT only)
  { name: 'GW_STATUS', value: 0x60, doc: 'gateway -> cloud: presence and health (retained; also the last will).' },
  { name: 'GW_COMMAND', value: 0x61, doc: 'cloud -> gateway: a command (start/stop session, OTA job, ...).' },
  { name: 'GW_COMMAND_RESULT', value: 0x62, doc: 'gateway -> cloud: outcome of a GW_COMMAND.' },
  { name: 'BLOCK_REQUEST', value: 0x70, doc: 'gateway -> cloud: request blocks of a large object (bitmap of wanted).' },
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
  { name: 'SMOKE_TEST_FAILED', value: 18, doc: 'Test boot ran the smoke inference and the output was wrong.' },
  { name: 'UNAUTHORIZED', value: 19, doc: 'Identity not allowed to do this (ACL, token).' },
  { name: 'DUPLICATE', value: 20, doc: 'Message id already processed (informational; not a failure).' },
  { name: 'INTERNAL', value: 21, doc: 'Unexpected internal failure.' },
] as const satisfies readonly ConstEntry[];

/** Model artifact op kinds (PROTOCOL.md §5.4). */
export const OP_KINDS = [
  { name: 'CONV2D', value: 1, doc: 'NHWC conv, OHWI weights, stride, dilation, same/valid padding.' },
  { name: 'DEPTHWISE_CONV2D', value: 2, doc: 'NHWC depthwise conv, 1HWC weights, depth multiplier 1.' },
  { name: 'CONV1D', value: 3, doc: 'NWC conv over time, OWI weights.' },
  { name: 'DENSE', value: 4, doc: 'Fully connected, OI weights (one row per output).' },
  { name: 'RELU', value: 5, doc: 'max(x, zero point) in the quantized domain.' },
  { name: 'RELU6', value: 6, doc: 'Clamp to the quantized [0, 6].' },
  { name: 'MAXPOOL2D', value: 7, doc: 'Max pooling, NHWC.' },
  { name: 'AVGPOOL2D', value: 8, doc: 'Average pooling, NHWC.' },
  { name: 'GLOBAL_AVGPOOL', value: 9, doc: 'Mean over H and W.' },
  { name: 'ADD', value: 10, doc: 'Elementwise add with requantization (residual).' },
  { name: 'CONCAT', value: 11, doc: 'Concatenation along the channel axis.' },
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
] as const;

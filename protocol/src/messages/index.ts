/**
 * @tinyfleet/protocol/messages: the CBOR message catalog (PROTOCOL.md §4).
 *
 *   const bytes = encodeMessage({ type: 'LOG', id: randomMessageId(), level: 'INFO', text: 'hi' });
 *   const msg = decodeMessage(bytes); // Message, discriminated by msg.type; throws ProtocolError only
 */
export { CATALOG, DEF_BY_CODE, DEF_BY_NAME, type Message, type MessageByType } from './catalog.js';
export {
  type CodecOptions,
  decodeMessage,
  defaultMaxBytes,
  ENVELOPE_KEYS,
  encodeMessage,
  maxEncodedSize,
  messageDef,
} from './codec.js';
export type { Envelope, Hop, MessageDef, MessageOf } from './define.js';
export type {
  DeviceStateName,
  EpsModeName,
  GradKindName,
  LogLevelName,
  OtaStateName,
  RoundingModeName,
  TrainStateName,
  UpdateRuleName,
} from './enums.js';
export {
  DEVICE_ID_BYTES,
  DeviceIdSequence,
  deviceMessageId,
  isMessageId,
  messageIdHex,
  parseDeviceMessageId,
  RANDOM_ID_BYTES,
  randomMessageId,
} from './ids.js';
export {
  BLOCK_DATA,
  BLOCK_REQUEST,
  type BlockDataMessage,
  type BlockRequestMessage,
} from './schemas/blocks.js';
export {
  type DeviceSummary,
  GW_COMMAND,
  GW_COMMAND_RESULT,
  GW_COMMANDS,
  GW_STATUS,
  type GwCommand,
  type GwCommandResult,
  type GwStatus,
  MAX_GATEWAY_DEVICES,
} from './schemas/gateway.js';
export { INFER_REQUEST, INFER_RESULT, type InferRequest, type InferResult } from './schemas/inference.js';
export {
  bitmapBytes,
  OTA_BLOCK,
  OTA_COMMIT,
  OTA_CONFIRM,
  OTA_OFFER,
  OTA_REVERT,
  OTA_STATUS,
  OTA_TEST_BOOT,
  type OtaBlock,
  type OtaCommit,
  type OtaConfirm,
  type OtaOffer,
  type OtaRevert,
  type OtaStatus,
  type OtaTestBoot,
} from './schemas/ota.js';
export { SAMPLE_BATCH, SAMPLE_CREDIT, type SampleBatch, type SampleCredit } from './schemas/samples.js';
export {
  ERROR,
  type ErrorMessage,
  HEARTBEAT,
  HELLO,
  HELLO_ACK,
  type Heartbeat,
  type Hello,
  type HelloAck,
  LOG,
  type Log,
} from './schemas/session.js';
export {
  GRAD_UPDATE,
  type GradUpdate,
  TRAIN_CONFIG,
  TRAIN_DEFAULTS,
  TRAIN_METRICS,
  TRAIN_START,
  TRAIN_STATUS,
  TRAIN_STOP,
  type TrainConfig,
  type TrainMetrics,
  type TrainStart,
  type TrainStatus,
  type TrainStop,
  updatedStructures,
} from './schemas/training.js';
export { VALUE_LIMITS, type Value, type ValueMap } from './value.js';

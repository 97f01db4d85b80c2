/**
 * @tinyfleet/protocol/mqtt: the MQTT contract between cloud and gateways (PROTOCOL.md §2).
 * Topics and their parser, the broker's ACL, QoS/retain rules, and block transfer with resume. Pure:
 * no broker or client in here; the apps pass these values to aedes and MQTT.js.
 */
export {
  type AclRules,
  aclRules,
  checkClientId,
  checkPublish,
  clientIdFor,
  describe as describeIdentity,
  gatewayIdentity,
  type Identity,
  identityFromUsername,
  MONITOR_USERNAME,
  mayPublish,
  maySubscribe,
  type PublishAttempt,
  SERVICE_USERNAME,
} from './acl.js';
export {
  type BlockAccepted,
  type BlockData,
  BlockReceiver,
  type BlockReceiverOptions,
  type BlockRequest,
  DEFAULT_BLOCK_MAX_RETRIES,
  DEFAULT_BLOCK_TIMEOUT_MS,
  type ReceiverState,
} from './block-receiver.js';
export { type AnswerOptions, answerBlockRequest, type BlockRequestFields } from './block-sender.js';
export {
  BlockBitmap,
  blockCount,
  blockLength,
  blockOffset,
  isObjectId,
  OBJECT_ID_PATTERN,
  objectIdOf,
  sliceBlock,
  validateBlockSize,
  validateObjectSize,
} from './blocks.js';
export { filterCoveredBy } from './cover.js';
export {
  isValidTopicFilter,
  isValidTopicName,
  MAX_TOPIC_BYTES,
  topicMatches,
  validateTopicFilter,
  validateTopicName,
} from './filter.js';
export {
  type Direction,
  findRoute,
  isTopicKind,
  KIND_MESSAGE,
  ROUTES,
  type Route,
  routesOf,
  type Scope,
  SERIAL_ONLY_MESSAGES,
  type TopicKind,
} from './routes.js';
export {
  buildTopic,
  checkMessageType,
  gatewaySubscriptions,
  ID_PATTERN,
  isValidId,
  monitorSubscriptions,
  type ParsedTopic,
  parseTopic,
  serviceSubscriptions,
  statusTopic,
  TOPIC_ROOT,
  type TopicAddress,
  topicFor,
  validateId,
} from './topics.js';

/** The cloud's MQTT side: embedded aedes broker or external broker, auth + ACL, uplink ingestion. */
export { type Authenticator, storeAuthenticator } from './auth.js';
export { brokerCommander, gatewayCommand } from './commander.js';
export { EmbeddedBroker, type EmbeddedBrokerOptions } from './embedded.js';
export { ExternalBroker, type ExternalBrokerOptions } from './external.js';
export { guardPacketSize, PacketScanner, PacketTooLargeError } from './guard.js';
export * from './ingest/index.js';
export type { CloudMqtt, Log, PublishOptions } from './types.js';

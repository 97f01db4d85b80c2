/**
 * TinyFleet gateway daemon: serial device links (PROTOCOL.md §3), store-and-forward uplink over MQTT
 * (§2), training sessions with sample streaming (§4.3, §4.4), commands from the cloud (§4.7).
 */
export { Backoff, type BackoffOptions } from './backoff.js';
export { type GatewayConfig, loadConfig, parseConfig } from './config/index.js';
export { HELP, main } from './daemon/cli.js';
export { GATEWAY_VERSION, Gateway, type GatewayDeps } from './daemon/gateway.js';
export * from './device/index.js';
export { GatewayError, type GatewayErrorCode } from './errors.js';
export { type Logger, type LogLevel, type LogRecord, memoryLogger, stderrLogger } from './log/index.js';
export * from './outbox/index.js';
export * from './session/index.js';
export * from './sources/index.js';
export * from './transport/index.js';
export * from './uplink/index.js';

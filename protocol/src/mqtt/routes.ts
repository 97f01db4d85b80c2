/**
 * Which message travels on which MQTT topic kind, with which QoS and retain flag (PROTOCOL.md §2.1, §2.4).
 * This table is the single source for topic kinds; builders, the parser and the ACL read it.
 */
import type { MsgTypeName } from '../constants/index.js';

/** `up`: towards the cloud (gateway publishes). `down`: towards the gateway (service publishes). */
export type Direction = 'up' | 'down';
/** `gateway`: about the gateway itself. `device`: relayed for one device attached to the gateway. */
export type Scope = 'gateway' | 'device';

/**
 * Topic kind -> the one message type it carries (PROTOCOL.md §2.1). Each MQTT-borne message type has exactly
 * one kind, and a kind names exactly one message type, so a receiver checks the envelope's `t` against it.
 */
export const KIND_MESSAGE = {
  status: 'GW_STATUS',
  cmd: 'GW_COMMAND',
  'cmd-result': 'GW_COMMAND_RESULT',
  'block-req': 'BLOCK_REQUEST',
  block: 'BLOCK_DATA',
  log: 'LOG',
  error: 'ERROR',
  hello: 'HELLO',
  heartbeat: 'HEARTBEAT',
  'train-status': 'TRAIN_STATUS',
  metrics: 'TRAIN_METRICS',
  grad: 'GRAD_UPDATE',
  infer: 'INFER_RESULT',
  'ota-status': 'OTA_STATUS',
} as const satisfies Record<string, MsgTypeName>;

export type TopicKind = keyof typeof KIND_MESSAGE;

/** One place a kind may appear in the tree. */
export interface Route {
  readonly kind: TopicKind;
  readonly message: MsgTypeName;
  readonly scope: Scope;
  readonly direction: Direction;
  /** QoS the publisher MUST use (PROTOCOL.md §2.4). */
  readonly qos: 0 | 1;
  /** Retain flag the publisher MUST set (PROTOCOL.md §2.4). */
  readonly retain: boolean;
}

function r(kind: TopicKind, scope: Scope, direction: Direction, qos: 0 | 1 = 1, retain = false): Route {
  return Object.freeze({ kind, message: KIND_MESSAGE[kind], scope, direction, qos, retain });
}

/** PROTOCOL.md §2.1 and §2.4: every route, in the order of the spec's table. */
export const ROUTES: readonly Route[] = Object.freeze([
  // tf/v1/gw/{gw}/status: presence, retained, also the last will (§2.3)
  r('status', 'gateway', 'up', 1, true),
  // tf/v1/gw/{gw}/up/{kind}
  r('cmd-result', 'gateway', 'up'),
  r('block-req', 'gateway', 'up'),
  r('log', 'gateway', 'up'),
  r('error', 'gateway', 'up'),
  // tf/v1/gw/{gw}/down/{kind}
  r('cmd', 'gateway', 'down'),
  r('block', 'gateway', 'down'),
  r('error', 'gateway', 'down'),
  // tf/v1/gw/{gw}/dev/{dev}/up/{kind}
  r('hello', 'device', 'up'),
  r('heartbeat', 'device', 'up', 0),
  r('log', 'device', 'up'),
  r('error', 'device', 'up'),
  r('train-status', 'device', 'up'),
  r('metrics', 'device', 'up'),
  r('grad', 'device', 'up'),
  r('infer', 'device', 'up'),
  r('ota-status', 'device', 'up'),
  // tf/v1/gw/{gw}/dev/{dev}/down/{kind}: reserved, no kind in version 1 (§2.1)
]);

/**
 * Message types that never travel over MQTT (PROTOCOL.md §2.1): they live on the serial hop only; the
 * cloud causes them through GW_COMMAND.
 */
export const SERIAL_ONLY_MESSAGES: readonly MsgTypeName[] = Object.freeze([
  'HELLO_ACK',
  'SAMPLE_BATCH',
  'SAMPLE_CREDIT',
  'TRAIN_START',
  'TRAIN_STOP',
  'TRAIN_CONFIG',
  'INFER_REQUEST',
  'OTA_OFFER',
  'OTA_BLOCK',
  'OTA_COMMIT',
  'OTA_TEST_BOOT',
  'OTA_CONFIRM',
  'OTA_REVERT',
]);

export function isTopicKind(s: string): s is TopicKind {
  return Object.hasOwn(KIND_MESSAGE, s);
}

/** The route of `kind` at (scope, direction), or undefined when the kind may not appear there. */
export function findRoute(kind: TopicKind, scope: Scope, direction: Direction): Route | undefined {
  return ROUTES.find((x) => x.kind === kind && x.scope === scope && x.direction === direction);
}

/** All places a message type may be published; empty for serial-only types. */
export function routesOf(message: MsgTypeName): Route[] {
  return ROUTES.filter((x) => x.message === message);
}

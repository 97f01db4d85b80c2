/**
 * The TinyFleet MQTT topic tree (PROTOCOL.md §2.1): ids, builders, the parser, and subscription filters.
 *
 *   tf/v1/gw/{gw}/status                   GW_STATUS, retained, also the last will
 *   tf/v1/gw/{gw}/up/{kind}                gateway -> cloud, about the gateway
 *   tf/v1/gw/{gw}/down/{kind}              cloud -> gateway
 *   tf/v1/gw/{gw}/dev/{dev}/up/{kind}      gateway -> cloud, relayed for one device
 *   tf/v1/gw/{gw}/dev/{dev}/down/{kind}    reserved (no kind in version 1)
 */
import { MsgType, type MsgTypeName, msgTypeName, P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { validateTopicName } from './filter.js';
import {
  type Direction,
  findRoute,
  isTopicKind,
  type Route,
  routesOf,
  type Scope,
  type TopicKind,
} from './routes.js';

/** Root of the tree; the version is the protocol version (PROTOCOL.md §1.3, §2.1). */
export const TOPIC_ROOT = `tf/v${P.PROTOCOL_VERSION}`;

/** Gateway and device ids (PROTOCOL.md §2.6): never a wildcard, '/', '$' or NUL. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** Throws BAD_FIELD unless `id` matches ID_PATTERN (PROTOCOL.md §2.6). */
export function validateId(id: string, what = 'id'): void {
  if (!isValidId(id))
    throw new ProtocolError('BAD_FIELD', `${what} ${JSON.stringify(id)} is not [A-Za-z0-9_-]{1,64}`);
}

/** A parsed TinyFleet topic. `deviceId` is present exactly for device-scoped topics. */
export interface ParsedTopic {
  readonly gatewayId: string;
  readonly deviceId?: string;
  readonly direction: Direction;
  readonly kind: TopicKind;
  /** The message type the topic carries (PROTOCOL.md §2.1). */
  readonly message: MsgTypeName;
  readonly route: Route;
}

/** Where to publish: a gateway, optionally one of its devices. */
export interface TopicAddress {
  readonly gatewayId: string;
  readonly deviceId?: string;
}

function gatewayBase(gatewayId: string): string {
  validateId(gatewayId, 'gateway id');
  return `${TOPIC_ROOT}/gw/${gatewayId}`;
}

function render(route: Route, addr: TopicAddress): string {
  const base = gatewayBase(addr.gatewayId);
  if (route.kind === 'status') return `${base}/status`; // PROTOCOL.md §2.3
  if (route.scope === 'gateway') return `${base}/${route.direction}/${route.kind}`;
  validateId(addr.deviceId ?? '', 'device id');
  return `${base}/dev/${addr.deviceId}/${route.direction}/${route.kind}`;
}

/** `tf/v1/gw/{gw}/status` (PROTOCOL.md §2.3). */
export function statusTopic(gatewayId: string): string {
  return `${gatewayBase(gatewayId)}/status`;
}

/** Topic of `kind` for a gateway (no deviceId) or a device (deviceId). Throws BAD_FIELD for a bad place. */
export function buildTopic(addr: TopicAddress, direction: Direction, kind: TopicKind): string {
  const scope: Scope = addr.deviceId === undefined ? 'gateway' : 'device';
  const route = findRoute(kind, scope, direction);
  if (!route) throw new ProtocolError('BAD_FIELD', `no ${scope} ${direction} topic of kind ${kind} (§2.1)`);
  return render(route, addr);
}

/**
 * Topic for a message type at an address (PROTOCOL.md §2.1). `direction` is needed only where a type may
 * go both ways (ERROR at gateway scope). Serial-only types throw BAD_FIELD.
 */
export function topicFor(message: MsgTypeName, addr: TopicAddress, direction?: Direction): string {
  const scope: Scope = addr.deviceId === undefined ? 'gateway' : 'device';
  const candidates = routesOf(message).filter(
    (x) => x.scope === scope && (direction === undefined || x.direction === direction),
  );
  const route = candidates[0];
  if (!route) throw new ProtocolError('BAD_FIELD', `${message} has no ${scope} topic (§2.1)`);
  if (candidates.length > 1) throw new ProtocolError('BAD_FIELD', `${message}: say the direction`);
  return render(route, addr);
}

/**
 * Parse a topic name of the tree (PROTOCOL.md §2.1). Throws ProtocolError: UNSUPPORTED_VERSION for another
 * `tf/vN` root, UNKNOWN_TYPE for an unknown kind, BAD_FIELD for anything else malformed.
 */
export function parseTopic(topic: string): ParsedTopic {
  // Parsing is a pure function of the topic string, and a gateway publishes on a handful of topics per
  // device: successful parses are memoized (bounded; frozen, so callers cannot change a shared result).
  const known = parsedTopics.get(topic);
  if (known) return known;
  const parsed = Object.freeze(parseTopicUncached(topic));
  if (parsedTopics.size >= PARSED_TOPICS_MAX) parsedTopics.clear();
  parsedTopics.set(topic, parsed);
  return parsed;
}

const PARSED_TOPICS_MAX = 16_384;
const parsedTopics = new Map<string, ParsedTopic>();

function parseTopicUncached(topic: string): ParsedTopic {
  validateTopicName(topic);
  const lv = topic.split('/');
  const bad = (why: string): ProtocolError =>
    new ProtocolError('BAD_FIELD', `topic ${JSON.stringify(topic)}: ${why}`);
  if (lv[0] !== 'tf') throw bad('not under tf/');
  if (lv[1] !== `v${P.PROTOCOL_VERSION}`) {
    // PROTOCOL.md §1.3: a version we do not implement.
    if (/^v[0-9]+$/.test(lv[1] ?? ''))
      throw new ProtocolError('UNSUPPORTED_VERSION', `topic version ${lv[1]}`);
    throw bad('no version level');
  }
  if (lv[2] !== 'gw') throw bad("third level is not 'gw'");
  const gatewayId = lv[3] ?? '';
  validateId(gatewayId, 'gateway id');
  let rest = lv.slice(4);
  let deviceId: string | undefined;
  if (rest.length === 1 && rest[0] === 'status') {
    const route = findRoute('status', 'gateway', 'up')!;
    return { gatewayId, direction: 'up', kind: 'status', message: route.message, route };
  }
  if (rest[0] === 'dev') {
    deviceId = rest[1] ?? '';
    validateId(deviceId, 'device id');
    rest = rest.slice(2);
  }
  const [dir, kind, ...extra] = rest;
  if ((dir !== 'up' && dir !== 'down') || kind === undefined || extra.length > 0) {
    throw bad('expected .../{up|down}/{kind} or .../status');
  }
  if (!isTopicKind(kind))
    throw new ProtocolError('UNKNOWN_TYPE', `unknown topic kind ${JSON.stringify(kind)}`);
  const scope: Scope = deviceId === undefined ? 'gateway' : 'device';
  const route = kind === 'status' ? undefined : findRoute(kind, scope, dir);
  if (!route) throw bad(`kind ${kind} does not exist at ${scope} ${dir} (§2.1)`);
  const base = { gatewayId, direction: dir, kind, message: route.message, route } as const;
  return deviceId === undefined ? base : { ...base, deviceId };
}

/**
 * A receiver checks that the envelope's type `t` is the one its topic carries (PROTOCOL.md §2.1);
 * throws BAD_FIELD otherwise.
 */
export function checkMessageType(parsed: ParsedTopic, t: number): void {
  if (t !== MsgType[parsed.message]) {
    const got = msgTypeName.get(t) ?? `0x${t.toString(16)}`;
    throw new ProtocolError('BAD_FIELD', `topic kind ${parsed.kind} carries ${parsed.message}, not ${got}`);
  }
}

/** What a gateway subscribes to (PROTOCOL.md §2.2): its own downlink. */
export function gatewaySubscriptions(gatewayId: string): string[] {
  const base = gatewayBase(gatewayId);
  return [`${base}/down/#`, `${base}/dev/+/down/#`];
}

/** What the service subscribes to (PROTOCOL.md §2.2): every gateway's presence and uplink. */
export function serviceSubscriptions(): string[] {
  const base = `${TOPIC_ROOT}/gw/+`;
  return [`${base}/status`, `${base}/up/#`, `${base}/dev/+/up/#`];
}

/**
 * Telemetry filters for a monitor (PROTOCOL.md §2.2): all gateways, one gateway, or one device.
 */
export function monitorSubscriptions(gatewayId?: string, deviceId?: string): string[] {
  const base = gatewayId === undefined ? `${TOPIC_ROOT}/gw/+` : gatewayBase(gatewayId);
  if (deviceId !== undefined) {
    validateId(deviceId, 'device id');
    return [`${base}/dev/${deviceId}/up/#`];
  }
  return [`${base}/status`, `${base}/up/#`, `${base}/dev/+/up/#`];
}

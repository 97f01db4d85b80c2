/**
 * Identities, client ids and the access control list of the broker (PROTOCOL.md §2.2, §2.6).
 * Pure functions: the cloud's aedes hooks (authenticate, authorizePublish, authorizeSubscribe) call them.
 */
import { P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { filterCoveredBy } from './cover.js';
import { isValidTopicFilter, isValidTopicName, topicMatches } from './filter.js';
import { isValidId, type ParsedTopic, parseTopic, TOPIC_ROOT, validateId } from './topics.js';

/** Who is connected (PROTOCOL.md §2.2). */
export type Identity =
  | { readonly role: 'gateway'; readonly gatewayId: string }
  | { readonly role: 'service' }
  | { readonly role: 'monitor' };

/** MQTT user names of the two non-gateway roles; '$' cannot start a gateway id, so they never collide. */
export const SERVICE_USERNAME = '$service';
export const MONITOR_USERNAME = '$monitor';

export function gatewayIdentity(gatewayId: string): Identity {
  validateId(gatewayId, 'gateway id');
  return { role: 'gateway', gatewayId };
}

/**
 * The identity a CONNECT's user name claims (PROTOCOL.md §2.2). The password is checked by the cloud, not
 * here. Throws UNAUTHORIZED for a user name that is none of the three forms.
 */
export function identityFromUsername(username: string | undefined): Identity {
  if (username === SERVICE_USERNAME) return { role: 'service' };
  if (username === MONITOR_USERNAME) return { role: 'monitor' };
  if (username !== undefined && isValidId(username)) return { role: 'gateway', gatewayId: username };
  throw new ProtocolError('UNAUTHORIZED', `user name ${JSON.stringify(username)} names no identity (§2.2)`);
}

const CLIENT_ID_PREFIX = { gateway: 'gw-', service: 'svc-', monitor: 'mon-' } as const;

/**
 * The MQTT client id for an identity (PROTOCOL.md §2.6): `gw-<gatewayId>` for a gateway (one connection per
 * gateway); `svc-<instance>` and `mon-<instance>` for the others, `instance` an id chosen by the client.
 */
export function clientIdFor(identity: Identity, instance?: string): string {
  if (identity.role === 'gateway') return `gw-${identity.gatewayId}`;
  validateId(instance ?? '', `${identity.role} instance`);
  return `${CLIENT_ID_PREFIX[identity.role]}${instance}`;
}

/**
 * Throws UNAUTHORIZED unless `clientId` belongs to `identity` (PROTOCOL.md §2.6). Without this check one
 * client could take another's session over (MQTT-3.1.4-2 disconnects the older connection).
 */
export function checkClientId(identity: Identity, clientId: string): void {
  const prefix = CLIENT_ID_PREFIX[identity.role];
  const rest = clientId.startsWith(prefix) ? clientId.slice(prefix.length) : undefined;
  const ok =
    rest !== undefined && (identity.role === 'gateway' ? rest === identity.gatewayId : isValidId(rest));
  if (!ok)
    throw new ProtocolError('UNAUTHORIZED', `client id ${JSON.stringify(clientId)} is not allowed (§2.6)`);
}

/** The ACL of an identity as topic filters (PROTOCOL.md §2.2, table). */
export interface AclRules {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

export function aclRules(identity: Identity): AclRules {
  switch (identity.role) {
    case 'gateway': {
      const own = `${TOPIC_ROOT}/gw/${identity.gatewayId}`;
      return {
        publish: [`${own}/status`, `${own}/up/#`, `${own}/dev/+/up/#`],
        subscribe: [`${own}/down/#`, `${own}/dev/+/down/#`],
      };
    }
    case 'service':
      return { publish: [`${TOPIC_ROOT}/#`], subscribe: [`${TOPIC_ROOT}/#`] };
    case 'monitor': {
      const any = `${TOPIC_ROOT}/gw/+`;
      return { publish: [], subscribe: [`${any}/status`, `${any}/up/#`, `${any}/dev/+/up/#`] };
    }
  }
}

function tryParse(topic: string): ParsedTopic | undefined {
  try {
    return parseTopic(topic);
  } catch {
    return undefined;
  }
}

/**
 * May `identity` publish on `topic` (PROTOCOL.md §2.2)? The topic must match a publish rule and, under
 * `tf/v1/gw/`, be a well-formed topic of §2.1 (known kind at that place, valid ids).
 */
export function mayPublish(identity: Identity, topic: string): boolean {
  // A pure function of (identity, topic), asked for every PUBLISH: memoized, bounded.
  const key = `${describe(identity)}\n${topic}`;
  const known = publishDecisions.get(key);
  if (known !== undefined) return known;
  const allowed = decidePublish(identity, topic);
  if (publishDecisions.size >= PUBLISH_DECISIONS_MAX) publishDecisions.clear();
  publishDecisions.set(key, allowed);
  return allowed;
}

const PUBLISH_DECISIONS_MAX = 16_384;
const publishDecisions = new Map<string, boolean>();

function decidePublish(identity: Identity, topic: string): boolean {
  if (!isValidTopicName(topic)) return false;
  if (!aclRules(identity).publish.some((rule) => topicMatches(rule, topic))) return false;
  if (identity.role === 'gateway' || topic.startsWith(`${TOPIC_ROOT}/gw/`))
    return tryParse(topic) !== undefined;
  return true;
}

/**
 * May `identity` subscribe with `filter` (PROTOCOL.md §2.2)? Only when every topic the filter can match is
 * allowed by a subscribe rule, so no wildcard reaches past the identity's subtree.
 */
export function maySubscribe(identity: Identity, filter: string): boolean {
  if (!isValidTopicFilter(filter)) return false;
  return filterCoveredBy(filter, aclRules(identity).subscribe);
}

/** One PUBLISH (or a CONNECT's will) as the broker sees it. */
export interface PublishAttempt {
  readonly topic: string;
  readonly qos: number;
  readonly retain: boolean;
  /** The payload, or its length in bytes. */
  readonly payload: Uint8Array | number;
}

/**
 * The broker's whole publish check (PROTOCOL.md §2.2, §2.4, §2.6), for PUBLISH packets and for the will
 * of a CONNECT. Throws UNAUTHORIZED (ACL), TOO_LARGE (payload) or BAD_FIELD (QoS, retain, empty payload).
 */
export function checkPublish(identity: Identity, p: PublishAttempt): void {
  if (!mayPublish(identity, p.topic)) {
    throw new ProtocolError(
      'UNAUTHORIZED',
      `${describe(identity)} may not publish on ${JSON.stringify(p.topic)}`,
    );
  }
  const size = typeof p.payload === 'number' ? p.payload : p.payload.length;
  // PROTOCOL.md §2.6: payload limit.
  if (size > P.MQTT_MAX_PAYLOAD_BYTES) {
    throw new ProtocolError('TOO_LARGE', `payload of ${size} bytes exceeds ${P.MQTT_MAX_PAYLOAD_BYTES}`);
  }
  const parsed = tryParse(p.topic);
  if (!parsed) return; // service topics outside tf/v1/gw/ (reserved) carry no table entry
  const { route } = parsed;
  // PROTOCOL.md §2.3: only the service clears a retained status, with an empty retained payload.
  if (size === 0) {
    if (identity.role === 'service' && route.retain && p.retain) return;
    throw new ProtocolError('BAD_FIELD', `empty payload on ${p.topic}`);
  }
  // PROTOCOL.md §2.4: QoS and retain as the table says.
  if (p.qos !== route.qos)
    throw new ProtocolError('BAD_FIELD', `${route.kind} is published with QoS ${route.qos}`);
  if (p.retain !== route.retain) {
    throw new ProtocolError('BAD_FIELD', `${route.kind} is published with retain=${route.retain}`);
  }
}

export function describe(identity: Identity): string {
  return identity.role === 'gateway' ? `gateway:${identity.gatewayId}` : identity.role;
}

/** GW_STATUS messages (PROTOCOL.md §2.3, §4.7.1): the online status and the last will. */
import { type DeviceSummary, encodeMessage, randomMessageId } from '@tinyfleet/protocol/messages';

export interface StatusFacts {
  readonly uptimeMs: number;
  readonly outbox: number;
  readonly devices: DeviceSummary[];
}

/** `online = false`: the will (made when the connection opens, §2.3 item 1) and the orderly stop (item 4). */
export function offlineStatus(version: string, sinceMs: number, nowMs = sinceMs): Uint8Array {
  return encodeMessage({
    type: 'GW_STATUS',
    id: randomMessageId(),
    ts: nowMs,
    online: false,
    gatewayVersion: version,
    since: sinceMs,
  });
}

/** `online = true` with uptime, outbox depth and devices (required iff on, §4.7.1). */
export function onlineStatus(
  version: string,
  sinceMs: number,
  facts: StatusFacts,
  nowMs = Date.now(),
): Uint8Array {
  return encodeMessage({
    type: 'GW_STATUS',
    id: randomMessageId(),
    ts: nowMs,
    online: true,
    gatewayVersion: version,
    since: sinceMs,
    uptimeMs: facts.uptimeMs,
    outbox: facts.outbox,
    devices: facts.devices.slice(0, 256),
  });
}

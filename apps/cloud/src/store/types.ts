/** Domain records the store returns (camelCase; JSON columns already parsed). */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Fleet {
  id: string;
  name: string;
  description: string;
  createdMs: number;
  updatedMs: number;
}

export interface Gateway {
  id: string;
  fleetId: string;
  name: string;
  online: boolean;
  status: JsonObject | null;
  lastSeenMs: number | null;
  createdMs: number;
}

export interface Device {
  id: string;
  gatewayId: string;
  fleetId: string;
  capabilities: JsonObject;
  profile: string | null;
  tags: string[];
  currentModel: string | null;
  online: boolean;
  lastSeenMs: number | null;
  createdMs: number;
  updatedMs: number;
}

export type TokenScope = 'admin' | 'read';

export interface ApiToken {
  id: string;
  name: string;
  scope: TokenScope;
  createdMs: number;
  lastUsedMs: number | null;
  revokedMs: number | null;
}

/**
 * Session statuses: `created` -> `starting` (session.start sent) -> `running` (a device runs it) ->
 * `stopping` (session.stop sent) -> one final status once every device has ended: `done` (all reached
 * their step or sample limit), `stopped` (ended by a stop, none failed), `failed` (all failed),
 * `partial` (some failed, the others ended without error); `error` gives the failed devices' reasons.
 * Computed in apps/cloud/src/broker/ingest/sessions.ts.
 */
export const SESSION_STATUSES = [
  'created',
  'starting',
  'running',
  'stopping',
  'stopped',
  'done',
  'failed',
  'partial',
] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

export interface TrainingSession {
  id: string;
  /** The u32 session id in messages (PROTOCOL.md §4.4); unique per gateway. */
  wireId: number;
  fleetId: string;
  gatewayId: string;
  deviceIds: string[];
  config: JsonObject;
  status: SessionStatus;
  error: string | null;
  createdMs: number;
  updatedMs: number;
  startedMs: number | null;
  stoppedMs: number | null;
}

export interface MetricPoint {
  id: number;
  sessionId: string;
  deviceId: string;
  gatewayId: string;
  step: number;
  tsMs: number;
  values: JsonObject;
}

export interface GradientUpdate {
  id: number;
  sessionId: string;
  deviceId: string;
  gatewayId: string;
  msgId: string;
  step: number;
  layer: number;
  updatedCount: number;
  tsMs: number;
  fields: JsonObject;
}

export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

export interface EventRecord {
  id: number;
  tsMs: number;
  level: EventLevel;
  kind: string;
  gatewayId: string | null;
  deviceId: string | null;
  sessionId: string | null;
  message: string;
  data: Json | null;
}

/** One page of a list; `nextCursor` is null on the last page. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/**
 * OTA executions: one per (campaign, device), the durable ledger of the execution state machine, and the
 * log of every transition asked of it (accepted or refused). Which transitions are legal is decided in
 * apps/cloud/src/ota/states.ts; this repository only stores.
 */
import type { Db } from '../db.js';
import { decodeCursor, parseJsonColumn, toPage } from '../pagination.js';
import type { JsonObject, Page, PageRequest } from '../types.js';

export const EXECUTION_STATES = [
  'queued',
  'offered',
  'downloading',
  'verifying',
  'flashing',
  'test-booting',
  'succeeded',
  'failed',
  'reverted',
  'timed-out',
  'canceled',
] as const;
export type ExecutionState = (typeof EXECUTION_STATES)[number];

/** States in which a device holds (or is fetching) the campaign's object. */
export const IN_FLIGHT_STATES = [
  'offered',
  'downloading',
  'verifying',
  'flashing',
  'test-booting',
] as const satisfies readonly ExecutionState[];
export type InFlightState = (typeof IN_FLIGHT_STATES)[number];

export interface Execution {
  campaignId: string;
  deviceId: string;
  gatewayId: string;
  phase: number;
  state: ExecutionState;
  stateSinceMs: number;
  commandId: string | null;
  statusSeq: string | null;
  error: string | null;
  progress: JsonObject | null;
  updatedMs: number;
}

export interface Transition {
  id: number;
  campaignId: string;
  deviceId: string;
  from: ExecutionState;
  to: ExecutionState;
  accepted: boolean;
  cause: string;
  tsMs: number;
}

interface Row {
  campaign_id: string;
  device_id: string;
  gateway_id: string;
  phase: number;
  state: ExecutionState;
  state_since_ms: number;
  command_id: string | null;
  status_seq: string | null;
  error: string | null;
  progress_json: string | null;
  updated_ms: number;
}

const toExecution = (r: Row): Execution => ({
  campaignId: r.campaign_id,
  deviceId: r.device_id,
  gatewayId: r.gateway_id,
  phase: r.phase,
  state: r.state,
  stateSinceMs: r.state_since_ms,
  commandId: r.command_id,
  statusSeq: r.status_seq,
  error: r.error,
  progress: r.progress_json === null ? null : parseJsonColumn<JsonObject>(r.progress_json, 'progress'),
  updatedMs: r.updated_ms,
});

const IN_FLIGHT_SQL = `('${IN_FLIGHT_STATES.join("', '")}')`;

export interface StateUpdate {
  campaignId: string;
  deviceId: string;
  state: ExecutionState;
  error?: string | null | undefined;
  commandId?: string | null | undefined;
  statusSeq?: string | null | undefined;
  progress?: JsonObject | null | undefined;
}

export class ExecutionRepo {
  readonly #insert;
  readonly #get;
  readonly #list;
  readonly #inPhase;
  readonly #update;
  readonly #counts;
  readonly #byDevice;
  readonly #entitled;
  readonly #log;
  readonly #latest;
  readonly #history;
  readonly #deviceModel;

  constructor(db: Db) {
    this.#insert = db.prepare<[string, string, string, number, number, number]>(
      `INSERT INTO ota_executions (campaign_id, device_id, gateway_id, phase, state, state_since_ms, updated_ms)
       VALUES (?, ?, ?, ?, 'queued', ?, ?)`,
    );
    this.#get = db.prepare<[string, string], Row>(
      'SELECT * FROM ota_executions WHERE campaign_id = ? AND device_id = ?',
    );
    this.#list = db.prepare<{ c: string; after: string; state: string | null; limit: number }, Row>(
      `SELECT * FROM ota_executions WHERE campaign_id = @c AND device_id > @after
         AND (@state IS NULL OR state = @state) ORDER BY device_id LIMIT @limit`,
    );
    this.#inPhase = db.prepare<[string, number], Row>(
      'SELECT * FROM ota_executions WHERE campaign_id = ? AND phase <= ? ORDER BY device_id',
    );
    this.#update = db.prepare(
      `UPDATE ota_executions SET state = @state, state_since_ms = CASE WHEN state = @state THEN state_since_ms
         ELSE @now END, error = coalesce(@error, error), command_id = coalesce(@commandId, command_id),
         status_seq = coalesce(@statusSeq, status_seq), progress_json = coalesce(@progress, progress_json),
         updated_ms = @now WHERE campaign_id = @campaignId AND device_id = @deviceId`,
    );
    this.#counts = db.prepare<[string], { phase: number; state: ExecutionState; n: number }>(
      'SELECT phase, state, count(*) AS n FROM ota_executions WHERE campaign_id = ? GROUP BY phase, state',
    );
    this.#byDevice = db.prepare<[string], Row>(
      `SELECT * FROM ota_executions WHERE device_id = ? AND (state = 'queued' OR state IN ${IN_FLIGHT_SQL})`,
    );
    // PROTOCOL.md §2.7 step 4: a gateway is entitled to an object named in a command to it.
    this.#entitled = db.prepare<[string, string], { campaign_id: string }>(
      `SELECT e.campaign_id FROM ota_executions e JOIN campaigns c ON c.id = e.campaign_id
         JOIN models m ON m.id = c.model_id
       WHERE e.gateway_id = ? AND m.object_id = ? AND e.state IN ${IN_FLIGHT_SQL}
       ORDER BY e.campaign_id LIMIT 1`,
    );
    this.#latest = db.prepare<[string, string], Row>(
      `SELECT e.* FROM ota_executions e JOIN campaigns c ON c.id = e.campaign_id JOIN models m ON m.id = c.model_id
       WHERE e.device_id = ? AND m.sha256 = ? ORDER BY c.created_ms DESC, c.id DESC LIMIT 1`,
    );
    this.#log = db.prepare<[string, string, string, string, number, string, number]>(
      `INSERT INTO ota_transitions (campaign_id, device_id, from_state, to_state, accepted, cause, ts_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#history = db.prepare<
      [string, string],
      {
        id: number;
        campaign_id: string;
        device_id: string;
        from_state: ExecutionState;
        to_state: ExecutionState;
        accepted: number;
        cause: string;
        ts_ms: number;
      }
    >('SELECT * FROM ota_transitions WHERE campaign_id = ? AND device_id = ? ORDER BY id');
    this.#deviceModel = db.prepare<[string, number, string]>(
      'UPDATE devices SET current_model = ?, updated_ms = ? WHERE id = ?',
    );
  }

  insert(campaignId: string, e: { deviceId: string; gatewayId: string; phase: number }, nowMs: number): void {
    this.#insert.run(campaignId, e.deviceId, e.gatewayId, e.phase, nowMs, nowMs);
  }

  get(campaignId: string, deviceId: string): Execution | undefined {
    const r = this.#get.get(campaignId, deviceId);
    return r && toExecution(r);
  }

  list(page: PageRequest & { campaignId: string; state?: ExecutionState | undefined }): Page<Execution> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, ['string'])[0];
    const rows = this.#list.all({
      c: page.campaignId,
      after,
      state: page.state ?? null,
      limit: page.limit + 1,
    });
    return toPage(rows, page.limit, toExecution, (r) => [r.device_id]);
  }

  /** Every execution of phases 0..`phase`, by device id. */
  upToPhase(campaignId: string, phase: number): Execution[] {
    return this.#inPhase.all(campaignId, phase).map(toExecution);
  }

  /** Store a state (already validated by the caller) and its details; the state's clock restarts on change. */
  update(u: StateUpdate, nowMs: number): void {
    this.#update.run({
      campaignId: u.campaignId,
      deviceId: u.deviceId,
      state: u.state,
      error: u.error ?? null,
      commandId: u.commandId ?? null,
      statusSeq: u.statusSeq ?? null,
      progress: u.progress === undefined || u.progress === null ? null : JSON.stringify(u.progress),
      now: nowMs,
    });
  }

  /** Details only (progress, newest status id), the state unchanged. */
  touch(e: Execution, u: Omit<StateUpdate, 'campaignId' | 'deviceId' | 'state'>, nowMs: number): void {
    this.#update.run({
      campaignId: e.campaignId,
      deviceId: e.deviceId,
      state: e.state,
      error: u.error ?? null,
      commandId: u.commandId ?? null,
      statusSeq: u.statusSeq ?? null,
      progress: u.progress === undefined || u.progress === null ? null : JSON.stringify(u.progress),
      now: nowMs,
    });
  }

  /** Executions per phase and state. */
  counts(campaignId: string): { phase: number; state: ExecutionState; n: number }[] {
    return this.#counts.all(campaignId);
  }

  /** Queued or in-flight executions of a device, in any campaign. */
  activeForDevice(deviceId: string): Execution[] {
    return this.#byDevice.all(deviceId).map(toExecution);
  }

  /** The campaign through which `gatewayId` may fetch `objectId`, if any (in-flight execution). */
  entitledCampaign(gatewayId: string, objectId: string): string | undefined {
    return this.#entitled.get(gatewayId, objectId)?.campaign_id;
  }

  /** The device's newest execution for the artifact with content digest `sha256` (hex). */
  latestForDevice(deviceId: string, sha256: string): Execution | undefined {
    const r = this.#latest.get(deviceId, sha256);
    return r && toExecution(r);
  }

  logTransition(t: Omit<Transition, 'id'>): void {
    this.#log.run(t.campaignId, t.deviceId, t.from, t.to, t.accepted ? 1 : 0, t.cause, t.tsMs);
  }

  history(campaignId: string, deviceId: string): Transition[] {
    return this.#history.all(campaignId, deviceId).map((r) => ({
      id: r.id,
      campaignId: r.campaign_id,
      deviceId: r.device_id,
      from: r.from_state,
      to: r.to_state,
      accepted: r.accepted === 1,
      cause: r.cause,
      tsMs: r.ts_ms,
    }));
  }

  /** Record the model a device runs after a confirmed update (`sha256@version`, as from HELLO). */
  setDeviceModel(deviceId: string, model: string, nowMs: number): void {
    this.#deviceModel.run(model, nowMs, deviceId);
  }
}

/** OTA campaigns: a model, a cohort, a phased policy, and where the rollout stands (apps/cloud/src/ota). */
import type { Db } from '../db.js';
import { StoreError } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, parseJsonColumn, toPage } from '../pagination.js';
import type { Page, PageRequest } from '../types.js';

export const CAMPAIGN_STATUSES = ['running', 'paused', 'succeeded', 'aborted', 'canceled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
export type CampaignKind = 'rollout' | 'rollback';

/** Who a campaign is for: devices matching every given filter (tags: all of them). */
export interface CampaignTarget {
  fleetId?: string | undefined;
  tags?: string[] | undefined;
  profile?: string | undefined;
  core?: string | undefined;
  /** An explicit list; the other filters still apply to it. */
  deviceIds?: string[] | undefined;
}

/** One phase: cumulative size (count or percent of the eligible devices), success threshold, soak. */
export interface PhaseSpec {
  count?: number | undefined;
  percent?: number | undefined;
  /** Percent of the phase's devices that must succeed before the next phase starts. */
  successPercent: number;
  /** Time to wait after the threshold is met before the next phase starts. */
  soakMs: number;
}

/** Abort when, after at least `minExecuted` finished executions, failures reach a count or a percent. */
export interface AbortSpec {
  minExecuted: number;
  failureCount?: number | undefined;
  failurePercent?: number | undefined;
}

export interface CampaignPolicy {
  phases: PhaseSpec[];
  abort: AbortSpec | null;
  /** Per-state timeouts of the in-flight execution states, ms. */
  timeoutsMs: { [state: string]: number };
  /** Ask devices to confirm after the test boot (GW_COMMAND ota.job `confirm`, PROTOCOL.md §4.7.2). */
  confirm: boolean;
}

export interface Exclusion {
  deviceId: string;
  code: string;
  reason: string;
}

export interface Campaign {
  id: string;
  name: string;
  modelId: string;
  kind: CampaignKind;
  rollbackOf: string | null;
  status: CampaignStatus;
  target: CampaignTarget;
  policy: CampaignPolicy;
  excluded: Exclusion[];
  phase: number;
  phaseCount: number;
  phaseStartedMs: number;
  phaseMetMs: number | null;
  egressBytes: number;
  reason: string | null;
  createdMs: number;
  updatedMs: number;
  finishedMs: number | null;
}

export type NewCampaign = Pick<
  Campaign,
  'name' | 'modelId' | 'kind' | 'rollbackOf' | 'target' | 'policy' | 'excluded' | 'phaseCount'
>;

interface Row {
  id: string;
  name: string;
  model_id: string;
  kind: CampaignKind;
  rollback_of: string | null;
  status: CampaignStatus;
  target_json: string;
  policy_json: string;
  excluded_json: string;
  phase: number;
  phase_count: number;
  phase_started_ms: number;
  phase_met_ms: number | null;
  egress_bytes: number;
  reason: string | null;
  created_ms: number;
  updated_ms: number;
  finished_ms: number | null;
}

const toCampaign = (r: Row): Campaign => ({
  id: r.id,
  name: r.name,
  modelId: r.model_id,
  kind: r.kind,
  rollbackOf: r.rollback_of,
  status: r.status,
  target: parseJsonColumn<CampaignTarget>(r.target_json, 'campaign target'),
  policy: parseJsonColumn<CampaignPolicy>(r.policy_json, 'campaign policy'),
  excluded: parseJsonColumn<Exclusion[]>(r.excluded_json, 'campaign exclusions'),
  phase: r.phase,
  phaseCount: r.phase_count,
  phaseStartedMs: r.phase_started_ms,
  phaseMetMs: r.phase_met_ms,
  egressBytes: r.egress_bytes,
  reason: r.reason,
  createdMs: r.created_ms,
  updatedMs: r.updated_ms,
  finishedMs: r.finished_ms,
});

const FINAL: readonly CampaignStatus[] = ['succeeded', 'aborted', 'canceled'];

export class CampaignRepo {
  readonly #insert;
  readonly #get;
  readonly #list;
  readonly #live;
  readonly #status;
  readonly #phase;
  readonly #met;
  readonly #egress;

  constructor(db: Db) {
    this.#insert = db.prepare(
      `INSERT INTO campaigns (id, name, model_id, kind, rollback_of, status, target_json, policy_json,
         excluded_json, phase, phase_count, phase_started_ms, created_ms, updated_ms)
       VALUES (@id, @name, @modelId, @kind, @rollbackOf, 'running', @target, @policy, @excluded, 0, @phaseCount,
         @now, @now, @now)`,
    );
    this.#get = db.prepare<[string], Row>('SELECT * FROM campaigns WHERE id = ?');
    this.#list = db.prepare<{ after: string; status: string | null; limit: number }, Row>(
      `SELECT * FROM campaigns WHERE id > @after AND (@status IS NULL OR status = @status)
       ORDER BY id LIMIT @limit`,
    );
    this.#live = db.prepare<[], Row>(
      "SELECT * FROM campaigns WHERE status IN ('running', 'paused') ORDER BY id",
    );
    this.#status = db.prepare<{
      id: string;
      status: CampaignStatus;
      reason: string | null;
      now: number;
      fin: number;
    }>(
      `UPDATE campaigns SET status = @status, reason = coalesce(@reason, reason), updated_ms = @now,
         finished_ms = CASE WHEN @fin = 1 THEN @now ELSE finished_ms END WHERE id = @id`,
    );
    this.#phase = db.prepare<[number, number, number, string]>(
      `UPDATE campaigns SET phase = ?, phase_started_ms = ?, phase_met_ms = NULL, updated_ms = ? WHERE id = ?`,
    );
    this.#met = db.prepare<[number | null, number, string]>(
      'UPDATE campaigns SET phase_met_ms = ?, updated_ms = ? WHERE id = ?',
    );
    this.#egress = db.prepare<[number, string]>(
      'UPDATE campaigns SET egress_bytes = egress_bytes + ? WHERE id = ?',
    );
  }

  create(c: NewCampaign, nowMs = Date.now()): Campaign {
    const id = newId('cmp', nowMs);
    this.#insert.run({
      id,
      name: c.name,
      modelId: c.modelId,
      kind: c.kind,
      rollbackOf: c.rollbackOf,
      target: JSON.stringify(c.target),
      policy: JSON.stringify(c.policy),
      excluded: JSON.stringify(c.excluded),
      phaseCount: c.phaseCount,
      now: nowMs,
    });
    return this.require(id);
  }

  get(id: string): Campaign | undefined {
    const r = this.#get.get(id);
    return r && toCampaign(r);
  }

  require(id: string): Campaign {
    const c = this.get(id);
    if (!c) throw new StoreError('NOT_FOUND', `campaign ${id} not found`);
    return c;
  }

  list(page: PageRequest & { status?: CampaignStatus | undefined }): Page<Campaign> {
    const after = page.cursor === undefined ? '' : decodeCursor(page.cursor, ['string'])[0];
    const rows = this.#list.all({ after, status: page.status ?? null, limit: page.limit + 1 });
    return toPage(rows, page.limit, toCampaign, (r) => [r.id]);
  }

  /** Campaigns the engine still drives: running or paused. */
  live(): Campaign[] {
    return this.#live.all().map(toCampaign);
  }

  setStatus(id: string, status: CampaignStatus, reason: string | null, nowMs = Date.now()): Campaign {
    const fin = FINAL.includes(status) ? 1 : 0;
    this.#status.run({ id, status, reason, now: nowMs, fin });
    return this.require(id);
  }

  startPhase(id: string, phase: number, nowMs = Date.now()): void {
    this.#phase.run(phase, nowMs, nowMs, id);
  }

  setPhaseMet(id: string, metMs: number | null, nowMs = Date.now()): void {
    this.#met.run(metMs, nowMs, id);
  }

  addEgress(id: string, bytes: number): void {
    this.#egress.run(bytes, id);
  }
}

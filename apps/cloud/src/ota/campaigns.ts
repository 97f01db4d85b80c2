/**
 * Campaign operations: create (from a plan), pause, resume, cancel, rollback. Each runs in one
 * transaction and returns the live events to emit after it; the engine (engine.ts) does the rest on its
 * ticks: offers, timeouts, thresholds, phases.
 */
import type { Campaign, CampaignStatus, LiveEvent, Store } from '../store/index.js';
import { OtaError } from './errors.js';
import { type CampaignInput, type PhaseInput, planCampaign } from './plan.js';
import { transition } from './transition.js';

export function campaignEvent(c: Campaign, status: CampaignStatus, phase: number, nowMs: number): LiveEvent {
  return { type: 'ota', kind: 'campaign', campaignId: c.id, state: status, phase, error: null, tsMs: nowMs };
}

function note(
  store: Store,
  c: Campaign,
  message: string,
  nowMs: number,
  level: 'info' | 'warn' = 'info',
): void {
  store.events.add({ level, kind: 'ota.campaign', message: `campaign ${c.id}: ${message}`, tsMs: nowMs });
}

/**
 * End a campaign (aborted, canceled, succeeded). Queued executions are canceled; executions already
 * offered run to their end and are still recorded (v1 has no command that recalls an offer).
 */
export function endCampaign(
  store: Store,
  c: Campaign,
  status: 'aborted' | 'canceled' | 'succeeded',
  reason: string,
  nowMs: number,
): LiveEvent[] {
  const events: LiveEvent[] = [];
  for (const e of store.executions.upToPhase(c.id, c.phaseCount)) {
    if (e.state !== 'queued') continue;
    const t = transition(store, e, 'canceled', `campaign ${status}`, nowMs);
    if (t.status === 'changed') events.push(t.event);
  }
  const done = store.campaigns.setStatus(c.id, status, reason, nowMs);
  note(store, c, `${status}: ${reason}`, nowMs, status === 'succeeded' ? 'info' : 'warn');
  events.push(campaignEvent(done, status, done.phase, nowMs));
  return events;
}

export interface OpResult {
  campaign: Campaign;
  events: LiveEvent[];
}

export function createCampaign(
  store: Store,
  input: CampaignInput,
  nowMs: number,
  extra: { kind?: 'rollout' | 'rollback'; rollbackOf?: string } = {},
): OpResult {
  return store.transaction(() => {
    const plan = planCampaign(store, input);
    if (plan.eligible === 0) {
      throw new OtaError('NO_ELIGIBLE_DEVICES', 'no device of the target is eligible (see the dry run)');
    }
    const c = store.campaigns.create(
      {
        name: input.name,
        modelId: plan.model.id,
        kind: extra.kind ?? 'rollout',
        rollbackOf: extra.rollbackOf ?? null,
        target: input.target,
        policy: plan.policy,
        excluded: plan.excluded,
        phaseCount: plan.phases.length,
      },
      nowMs,
    );
    for (const p of plan.phases) {
      for (const d of p.devices) store.executions.insert(c.id, { ...d, phase: p.index }, nowMs);
    }
    note(store, c, `created for ${plan.eligible} devices in ${plan.phases.length} phases`, nowMs);
    return { campaign: c, events: [campaignEvent(c, 'running', 0, nowMs)] };
  });
}

function setLive(
  store: Store,
  id: string,
  from: CampaignStatus,
  to: CampaignStatus,
  nowMs: number,
): OpResult {
  return store.transaction(() => {
    const c = store.campaigns.require(id);
    if (c.status === to) return { campaign: c, events: [] };
    if (c.status !== from) throw new OtaError('BAD_STATE', `campaign ${id} is ${c.status}`);
    const next = store.campaigns.setStatus(id, to, null, nowMs);
    note(store, c, to, nowMs);
    return { campaign: next, events: [campaignEvent(next, to, next.phase, nowMs)] };
  });
}

/** Stop offering (in-flight executions go on, timeouts and abort criteria still apply). */
export const pauseCampaign = (store: Store, id: string, nowMs: number) =>
  setLive(store, id, 'running', 'paused', nowMs);

export const resumeCampaign = (store: Store, id: string, nowMs: number) =>
  setLive(store, id, 'paused', 'running', nowMs);

export function cancelCampaign(store: Store, id: string, nowMs: number): OpResult {
  return store.transaction(() => {
    const c = store.campaigns.require(id);
    if (c.status === 'canceled') return { campaign: c, events: [] };
    if (c.status !== 'running' && c.status !== 'paused') {
      throw new OtaError('BAD_STATE', `campaign ${id} is ${c.status}`);
    }
    const events = endCampaign(store, c, 'canceled', 'canceled by request', nowMs);
    return { campaign: store.campaigns.require(id), events };
  });
}

/** Execution states after which the device certainly does not run the campaign's model. */
const NOT_TAKEN: ReadonlySet<string> = new Set(['queued', 'canceled', 'failed', 'reverted']);

export interface RollbackInput {
  /** The model to go back to; default: the newest model of the same name with a lower version. */
  modelId?: string | undefined;
  name?: string | undefined;
  phases?: PhaseInput[] | undefined;
}

/**
 * A rollback campaign: the devices of campaign `id` that took (or are taking) its model get `modelId`.
 * A live campaign is canceled first; devices still in flight in it are excluded as BUSY.
 */
export function rollbackCampaign(store: Store, id: string, r: RollbackInput, nowMs: number): OpResult {
  return store.transaction(() => {
    const c = store.campaigns.require(id);
    const from = store.models.require(c.modelId);
    const to = r.modelId !== undefined ? store.models.require(r.modelId) : store.models.previousOf(from);
    if (!to) throw new OtaError('NO_PREVIOUS_VERSION', `no model ${from.name} older than v${from.version}`);
    const events: LiveEvent[] = [];
    if (c.status === 'running' || c.status === 'paused') {
      events.push(...endCampaign(store, c, 'canceled', 'rolled back', nowMs));
    }
    const deviceIds = store.executions
      .upToPhase(c.id, c.phaseCount)
      .filter((e) => !NOT_TAKEN.has(e.state))
      .map((e) => e.deviceId);
    const input: CampaignInput = {
      name: r.name ?? `rollback of ${c.name}`,
      modelId: to.id,
      target: { deviceIds },
      phases: r.phases,
      abort: c.policy.abort ?? undefined,
      timeoutsMs: c.policy.timeoutsMs,
      confirm: c.policy.confirm,
    };
    const made = createCampaign(store, input, nowMs, { kind: 'rollback', rollbackOf: c.id });
    return { campaign: made.campaign, events: [...events, ...made.events] };
  });
}

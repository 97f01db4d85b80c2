/**
 * The campaign engine. Each tick, for every running or paused campaign: per-state timeouts move stuck
 * executions to `timed-out`; the abort criteria are checked; a running campaign's phase advances once its
 * success threshold is met and its soak time has passed (or the campaign ends); then the queued
 * executions of the current phase are offered to their gateways as one `ota.job` per gateway
 * (PROTOCOL.md §4.7.2). The clock is injected, so tests drive time; all state is in the store, so a
 * restarted cloud simply goes on ticking.
 */
import type { Campaign, Execution, LiveBus, LiveEvent, Store } from '../store/index.js';
import { IN_FLIGHT_STATES } from '../store/index.js';
import { campaignEvent, endCampaign } from './campaigns.js';
import { type OtaJobCommand, otaCommandId } from './job.js';
import { abortReason, countExecutions, phaseMet, phaseTarget } from './progress.js';
import { transition } from './transition.js';

export type Clock = () => number;
/** Sends one `ota.job` to a gateway; resolves once the broker accepted it (QoS 1). */
export type JobSender = (gatewayId: string, cmd: OtaJobCommand) => Promise<void>;
export type EngineLog = (level: 'info' | 'warn' | 'error', msg: string, err?: unknown) => void;

export interface EngineOptions {
  store: Store;
  bus: LiveBus;
  send: JobSender;
  clock?: Clock | undefined;
  log?: EngineLog | undefined;
}

/** Most targets in one GW_COMMAND (PROTOCOL.md §4.7.2 `to`: 0..256 items). */
const MAX_TARGETS = 256;
const IN_FLIGHT: ReadonlySet<string> = new Set(IN_FLIGHT_STATES);

export class CampaignEngine {
  readonly #o: EngineOptions;
  readonly clock: Clock;
  #ticking: Promise<void> | undefined;

  constructor(o: EngineOptions) {
    this.#o = o;
    this.clock = o.clock ?? Date.now;
  }

  emit(events: readonly LiveEvent[]): void {
    for (const e of events) this.#o.bus.emit(e);
  }

  /** Resolves when no tick is in progress. */
  async idle(): Promise<void> {
    while (this.#ticking) await this.#ticking.catch(() => {});
  }

  /** One pass over the live campaigns. Concurrent calls share the pass in progress, then run another. */
  tick(): Promise<void> {
    const prev = this.#ticking ?? Promise.resolve();
    const run = prev.then(() => this.#tickOnce());
    const mine = run.finally(() => {
      if (this.#ticking === mine) this.#ticking = undefined;
    });
    this.#ticking = mine;
    return mine;
  }

  async #tickOnce(): Promise<void> {
    const { store } = this.#o;
    const now = this.clock();
    for (const live of store.campaigns.live()) {
      this.emit(store.transaction(() => this.#step(store.campaigns.require(live.id), now)));
      const c = store.campaigns.require(live.id);
      if (c.status === 'running') await this.#offer(c, now);
    }
  }

  /** Timeouts, abort criteria, phase advancement; synchronous, inside one transaction. */
  #step(c: Campaign, now: number): LiveEvent[] {
    const { store } = this.#o;
    const events: LiveEvent[] = [];
    const execs: Execution[] = [];
    for (const e of store.executions.upToPhase(c.id, c.phaseCount)) {
      const limit = IN_FLIGHT.has(e.state) ? c.policy.timeoutsMs[e.state] : undefined;
      if (limit !== undefined && now - e.stateSinceMs >= limit) {
        const cause = `no progress in ${e.state} for ${limit} ms`;
        const t = transition(store, e, 'timed-out', cause, now, { error: 'TIMEOUT' });
        if (t.status === 'changed') {
          events.push(t.event);
          execs.push({ ...e, state: 'timed-out' });
          continue;
        }
      }
      execs.push(e);
    }
    const counts = countExecutions(execs);
    const why = abortReason(c.policy.abort, counts);
    if (why) return [...events, ...endCampaign(store, c, 'aborted', why, now)];
    if (c.status !== 'running') return events;

    const spec = c.policy.phases[c.phase];
    if (!spec) return [...events, ...endCampaign(store, c, 'aborted', `no phase ${c.phase}`, now)];
    const pc = counts.phases.get(c.phase);
    if (phaseMet(spec, pc)) {
      const metAt = c.phaseMetMs ?? now;
      if (c.phaseMetMs === null) store.campaigns.setPhaseMet(c.id, now, now);
      if (now - metAt < spec.soakMs) return events;
      if (c.phase + 1 < c.phaseCount) {
        store.campaigns.startPhase(c.id, c.phase + 1, now);
        store.events.add({
          level: 'info',
          kind: 'ota.campaign',
          message: `campaign ${c.id}: phase ${c.phase + 1} of ${c.phaseCount} started`,
          tsMs: now,
        });
        events.push(campaignEvent(c, 'running', c.phase + 1, now));
      } else if (counts.open === 0) {
        const msg = `${counts.succeeded} of ${execs.length} devices updated`;
        events.push(...endCampaign(store, c, 'succeeded', msg, now));
      }
    } else if (pc && pc.terminal === pc.size) {
      const need = phaseTarget(spec, pc.size);
      const msg = `phase ${c.phase}: ${pc.succeeded} of ${pc.size} succeeded, ${need} needed`;
      events.push(...endCampaign(store, c, 'aborted', msg, now));
    }
    return events;
  }

  /** Offer the queued executions of phases <= the current one: one `ota.job` per gateway. */
  async #offer(c: Campaign, now: number): Promise<void> {
    const { store } = this.#o;
    const byGateway = new Map<string, Execution[]>();
    for (const e of store.executions.upToPhase(c.id, c.phase)) {
      if (e.state !== 'queued') continue;
      const list = byGateway.get(e.gatewayId) ?? [];
      list.push(e);
      byGateway.set(e.gatewayId, list);
    }
    if (byGateway.size === 0) return;
    const model = store.models.require(c.modelId);
    for (const [gatewayId, all] of byGateway) {
      for (let i = 0; i < all.length; i += MAX_TARGETS) {
        const batch = all.slice(i, i + MAX_TARGETS);
        const cmd: OtaJobCommand = {
          op: 'ota.job',
          commandId: otaCommandId(c.id),
          deviceIds: batch.map((e) => e.deviceId),
          model,
          confirm: c.policy.confirm,
        };
        try {
          await this.#o.send(gatewayId, cmd);
        } catch (e) {
          // Left queued: the next tick tries again.
          this.#o.log?.('warn', `campaign ${c.id}: ota.job to gateway ${gatewayId} failed`, e);
          continue;
        }
        this.emit(
          store.transaction(() => {
            const out: LiveEvent[] = [];
            for (const e of batch) {
              const cur = store.executions.get(e.campaignId, e.deviceId);
              if (cur?.state !== 'queued') continue; // canceled while the command was in flight
              const t = transition(store, cur, 'offered', cmd.commandId, now, { commandId: cmd.commandId });
              if (t.status === 'changed') out.push(t.event);
            }
            return out;
          }),
        );
      }
    }
  }
}

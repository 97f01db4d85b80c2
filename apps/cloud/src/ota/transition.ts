/**
 * Apply one state change to an execution: validated against the state machine (states.ts), stored, and
 * logged in `ota_transitions` whether accepted or refused. A refused transition is also an `ota.illegal`
 * event. Runs inside the caller's transaction; returns the live event to emit after the commit.
 */
import type { Execution, ExecutionState, JsonObject, LiveEvent, Store } from '../store/index.js';
import { canTransition } from './states.js';

export interface TransitionDetails {
  error?: string | null | undefined;
  commandId?: string | undefined;
  statusSeq?: string | undefined;
  progress?: JsonObject | undefined;
  /** On `succeeded`: the model the device now runs, `sha256@version`. */
  deviceModel?: string | undefined;
}

export type TransitionOutcome =
  | { status: 'changed'; event: LiveEvent }
  | { status: 'same' }
  | { status: 'illegal' };

export function transition(
  store: Store,
  e: Execution,
  to: ExecutionState,
  cause: string,
  nowMs: number,
  d: TransitionDetails = {},
): TransitionOutcome {
  if (e.state === to) {
    store.executions.touch(e, d, nowMs);
    return { status: 'same' };
  }
  const base = { campaignId: e.campaignId, deviceId: e.deviceId, from: e.state, to, cause, tsMs: nowMs };
  if (!canTransition(e.state, to)) {
    store.executions.logTransition({ ...base, accepted: false });
    store.events.add({
      level: 'warn',
      kind: 'ota.illegal',
      gatewayId: e.gatewayId,
      deviceId: e.deviceId,
      message: `campaign ${e.campaignId}: ${e.state} -> ${to} refused (${cause})`,
      data: { campaignId: e.campaignId, from: e.state, to, cause },
      tsMs: nowMs,
    });
    return { status: 'illegal' };
  }
  store.executions.update({ campaignId: e.campaignId, deviceId: e.deviceId, state: to, ...d }, nowMs);
  store.executions.logTransition({ ...base, accepted: true });
  if (to === 'succeeded' && d.deviceModel) store.executions.setDeviceModel(e.deviceId, d.deviceModel, nowMs);
  return {
    status: 'changed',
    event: {
      type: 'ota',
      kind: 'execution',
      campaignId: e.campaignId,
      gatewayId: e.gatewayId,
      deviceId: e.deviceId,
      state: to,
      phase: e.phase,
      error: d.error ?? null,
      tsMs: nowMs,
    },
  };
}

/**
 * Campaign planning: the policy with its defaults, and the split of the eligible devices into phases.
 * Phase sizes are cumulative: a phase of `percent: 10` ends when 10% of the eligible devices (rounded up)
 * have been offered, `count: 5` when 5 have. A final 100% phase is added when the last one falls short.
 * The dry run is this plan, computed and not stored.
 */
import type {
  AbortSpec,
  CampaignPolicy,
  CampaignTarget,
  Exclusion,
  ModelRecord,
  PhaseSpec,
  Store,
} from '../store/index.js';
import { selectCohort } from './cohort.js';
import { OtaError } from './errors.js';
import { DEFAULT_TIMEOUTS_MS } from './states.js';

export interface PhaseInput {
  count?: number | undefined;
  percent?: number | undefined;
  successPercent?: number | undefined;
  soakMs?: number | undefined;
}

export interface CampaignInput {
  name: string;
  modelId: string;
  target: CampaignTarget;
  phases?: PhaseInput[] | undefined;
  abort?: AbortSpec | undefined;
  timeoutsMs?: { [state: string]: number | undefined } | undefined;
  confirm?: boolean | undefined;
}

export interface PlannedDevice {
  deviceId: string;
  gatewayId: string;
}

export interface PlannedPhase {
  index: number;
  spec: PhaseSpec;
  devices: PlannedDevice[];
}

export interface Plan {
  model: ModelRecord;
  policy: CampaignPolicy;
  phases: PlannedPhase[];
  eligible: number;
  excluded: Exclusion[];
  gateways: string[];
}

export function normalizePolicy(input: CampaignInput): CampaignPolicy {
  const given = input.phases && input.phases.length > 0 ? input.phases : [{ percent: 100 }];
  const phases: PhaseSpec[] = given.map((p, i) => {
    if ((p.count === undefined) === (p.percent === undefined)) {
      throw new OtaError('INVALID', `phase ${i}: give exactly one of count and percent`);
    }
    return {
      ...(p.count !== undefined && { count: p.count }),
      ...(p.percent !== undefined && { percent: p.percent }),
      successPercent: p.successPercent ?? 100,
      soakMs: p.soakMs ?? 0,
    };
  });
  const abort = input.abort ?? null;
  if (abort && abort.failureCount === undefined && abort.failurePercent === undefined) {
    throw new OtaError('INVALID', 'abort needs failureCount or failurePercent');
  }
  const timeoutsMs: { [state: string]: number } = { ...DEFAULT_TIMEOUTS_MS };
  for (const [k, v] of Object.entries(input.timeoutsMs ?? {})) {
    if (!(k in DEFAULT_TIMEOUTS_MS)) throw new OtaError('INVALID', `no timeout for state ${k}`);
    if (v !== undefined) timeoutsMs[k] = v;
  }
  return {
    phases,
    abort,
    timeoutsMs,
    confirm: input.confirm ?? true,
  };
}

/** Cumulative device count reached at the end of each phase; a last 100% phase is added if needed. */
export function phaseEnds(phases: PhaseSpec[], total: number): { specs: PhaseSpec[]; ends: number[] } {
  const specs = [...phases];
  const ends: number[] = [];
  let prev = 0;
  for (const p of specs) {
    const want = p.count ?? Math.ceil(((p.percent ?? 100) * total) / 100);
    prev = Math.max(prev, Math.min(total, want));
    ends.push(prev);
  }
  if (prev < total) {
    const last = specs[specs.length - 1];
    specs.push({ percent: 100, successPercent: last?.successPercent ?? 100, soakMs: 0 });
    ends.push(total);
  }
  return { specs, ends };
}

export function planCampaign(store: Store, input: CampaignInput): Plan {
  const model = store.models.require(input.modelId);
  const policy = normalizePolicy(input);
  const cohort = selectCohort(store, model, input.target);
  const { specs, ends } = phaseEnds(policy.phases, cohort.eligible.length);
  const phases: PlannedPhase[] = specs.map((spec, index) => ({
    index,
    spec,
    devices: cohort.eligible
      .slice(index === 0 ? 0 : (ends[index - 1] ?? 0), ends[index] ?? 0)
      .map((d) => ({ deviceId: d.id, gatewayId: d.gatewayId })),
  }));
  return {
    model,
    policy: { ...policy, phases: specs },
    phases,
    eligible: cohort.eligible.length,
    excluded: cohort.excluded,
    gateways: [...new Set(cohort.eligible.map((d) => d.gatewayId))].sort(),
  };
}

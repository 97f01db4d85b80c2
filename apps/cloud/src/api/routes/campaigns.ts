/**
 * OTA campaigns (apps/cloud/src/ota/README.md): dry run, create (starts at once), list, inspect,
 * per-device executions with their transition history, pause, resume, cancel, rollback.
 */

import type { Plan } from '../../ota/index.js';
import type { Campaign, Store } from '../../store/index.js';
import { CAMPAIGN_STATUSES, EXECUTION_STATES } from '../../store/index.js';
import { HttpError } from '../errors.js';
import { pageFields, pageOf, pageSchema } from '../pagination.js';
import { type Route, route } from '../route.js';
import type { JsonSchema } from '../validate/index.js';
import { array, boolean, enumOf, int, object, optional, string } from '../validate/index.js';
import { id, name } from './common.js';
import { MODEL_SCHEMA, otaCall, otaOf } from './models.js';

const phase = object({
  count: optional(int({ min: 1, max: 1_000_000, description: 'cumulative devices at the end of the phase' })),
  percent: optional(int({ min: 1, max: 100, description: 'cumulative percent of the eligible devices' })),
  successPercent: optional(int({ min: 0, max: 100, description: 'success threshold, default 100' })),
  soakMs: optional(int({ min: 0, description: 'wait after the threshold is met, default 0' })),
});
const ms = () => optional(int({ min: 1 }));
const campaignInput = object({
  name: name(),
  modelId: id(),
  target: object({
    fleetId: optional(id()),
    tags: optional(array(string({ min: 1, max: 64 }), { max: 32 })),
    profile: optional(string({ min: 1, max: 64 })),
    core: optional(string({ min: 1, max: 64 })),
    deviceIds: optional(array(id(), { min: 1, max: 100_000 })),
  }),
  phases: optional(array(phase, { min: 1, max: 32 })),
  abort: optional(
    object({
      minExecuted: int({ min: 0 }),
      failureCount: optional(int({ min: 1 })),
      failurePercent: optional(int({ min: 1, max: 100 })),
    }),
  ),
  timeoutsMs: optional(
    object({ offered: ms(), downloading: ms(), verifying: ms(), flashing: ms(), 'test-booting': ms() }),
  ),
  confirm: optional(boolean()),
});

const obj = { type: 'object' };
const CAMPAIGN_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    modelId: { type: 'string' },
    kind: { type: 'string', enum: ['rollout', 'rollback'] },
    rollbackOf: { type: ['string', 'null'] },
    status: { type: 'string', enum: [...CAMPAIGN_STATUSES] },
    target: obj,
    policy: obj,
    excluded: { type: 'array', items: obj, description: 'devices left out and why' },
    phase: { type: 'integer' },
    phaseCount: { type: 'integer' },
    egressBytes: { type: 'integer', description: 'BLOCK_DATA bytes sent for this campaign' },
    reason: { type: ['string', 'null'] },
    counts: { type: 'object', description: 'executions per state' },
    phases: { type: 'array', items: obj, description: 'per phase: size, succeeded, failures, terminal' },
  },
};
const EXECUTION_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    campaignId: { type: 'string' },
    deviceId: { type: 'string' },
    gatewayId: { type: 'string' },
    phase: { type: 'integer' },
    state: { type: 'string', enum: [...EXECUTION_STATES] },
    stateSinceMs: { type: 'integer' },
    commandId: { type: ['string', 'null'] },
    error: { type: ['string', 'null'] },
    progress: { type: ['object', 'null'], description: 'blocks on the device: have of nb' },
  },
};
const PLAN_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    model: MODEL_SCHEMA,
    policy: obj,
    eligible: { type: 'integer' },
    gateways: { type: 'array', items: { type: 'string' } },
    phases: { type: 'array', items: obj, description: 'who gets the model in which phase' },
    excluded: { type: 'array', items: obj, description: 'who is excluded and why' },
  },
};

function view(store: Store, c: Campaign) {
  const counts: Record<string, number> = {};
  const phases = Array.from({ length: c.phaseCount }, (_, index) => ({
    index,
    size: 0,
    succeeded: 0,
    failures: 0,
    terminal: 0,
  }));
  for (const r of store.executions.counts(c.id)) {
    counts[r.state] = (counts[r.state] ?? 0) + r.n;
    const p = phases[r.phase];
    if (!p) continue;
    p.size += r.n;
    if (r.state === 'succeeded') p.succeeded += r.n;
    if (r.state === 'failed' || r.state === 'reverted' || r.state === 'timed-out') p.failures += r.n;
    if (!['queued', 'offered', 'downloading', 'verifying', 'flashing', 'test-booting'].includes(r.state))
      p.terminal += r.n;
  }
  return { ...c, counts, phases };
}

const planView = (p: Plan) => ({ ...p, phases: p.phases.map((x) => ({ ...x, size: x.devices.length })) });
const byId = object({ id: id() });

function action(verb: 'pause' | 'resume' | 'cancel', summary: string): Route {
  return route({
    method: 'post',
    path: `/v1/campaigns/{id}/${verb}`,
    summary,
    tag: 'ota',
    access: 'admin',
    params: byId,
    response: { status: 200, description: 'the campaign', schema: CAMPAIGN_SCHEMA },
    handler: async ({ params, deps }) => {
      const ota = otaOf(deps);
      const r = await otaCall(() => ota[verb](params.id));
      return view(ota.store, r.campaign);
    },
  });
}

export const campaignRoutes: Route[] = [
  route({
    method: 'post',
    path: '/v1/campaigns/preview',
    summary: 'Dry run: who would get what in which phase, who is excluded and why',
    tag: 'ota',
    access: 'read',
    body: campaignInput,
    response: { status: 200, description: 'the plan', schema: PLAN_SCHEMA },
    handler: ({ body, deps }) => otaCall(() => planView(otaOf(deps).preview(body))),
  }),
  route({
    method: 'post',
    path: '/v1/campaigns',
    summary: 'Create and start a campaign (compatibility gate, phases, thresholds)',
    tag: 'ota',
    access: 'admin',
    body: campaignInput,
    response: { status: 201, description: 'the campaign', schema: CAMPAIGN_SCHEMA },
    handler: async ({ body, deps }) => {
      const ota = otaOf(deps);
      const r = await otaCall(() => ota.create(body));
      return view(ota.store, r.campaign);
    },
  }),
  route({
    method: 'get',
    path: '/v1/campaigns',
    summary: 'List campaigns',
    tag: 'ota',
    access: 'read',
    query: object({ ...pageFields, status: optional(enumOf(CAMPAIGN_STATUSES)) }),
    response: { status: 200, description: 'a page of campaigns', schema: pageSchema(CAMPAIGN_SCHEMA) },
    handler: ({ query, deps }) => {
      const store = otaOf(deps).store;
      const page = store.campaigns.list({ ...pageOf(query), status: query.status });
      return { ...page, items: page.items.map((c) => view(store, c)) };
    },
  }),
  route({
    method: 'get',
    path: '/v1/campaigns/{id}',
    summary: 'Get a campaign with its counts per state and per phase',
    tag: 'ota',
    access: 'read',
    params: byId,
    response: { status: 200, description: 'the campaign', schema: CAMPAIGN_SCHEMA },
    handler: ({ params, deps }) => {
      const store = otaOf(deps).store;
      return view(store, store.campaigns.require(params.id));
    },
  }),
  route({
    method: 'get',
    path: '/v1/campaigns/{id}/executions',
    summary: "A campaign's per-device executions",
    tag: 'ota',
    access: 'read',
    params: byId,
    query: object({ ...pageFields, state: optional(enumOf(EXECUTION_STATES)) }),
    response: { status: 200, description: 'a page of executions', schema: pageSchema(EXECUTION_SCHEMA) },
    handler: ({ params, query, deps }) => {
      const store = otaOf(deps).store;
      store.campaigns.require(params.id);
      return store.executions.list({ ...pageOf(query), campaignId: params.id, state: query.state });
    },
  }),
  route({
    method: 'get',
    path: '/v1/campaigns/{id}/executions/{deviceId}',
    summary: "One device's execution and every transition asked of it (accepted or refused)",
    tag: 'ota',
    access: 'read',
    params: object({ id: id(), deviceId: id() }),
    response: { status: 200, description: 'the execution and its history', schema: EXECUTION_SCHEMA },
    handler: ({ params, deps }) =>
      otaCall(() => {
        const store = otaOf(deps).store;
        const e = store.executions.get(params.id, params.deviceId);
        if (!e) throw new HttpError(404, 'NOT_FOUND', `no execution of ${params.deviceId} in ${params.id}`);
        return { ...e, history: store.executions.history(params.id, params.deviceId) };
      }),
  }),
  action('pause', 'Pause: no new offers; in-flight executions go on'),
  action('resume', 'Resume a paused campaign'),
  action('cancel', 'Cancel: queued executions are canceled; offered ones run to their end'),
  route({
    method: 'post',
    path: '/v1/campaigns/{id}/rollback',
    summary: "Roll back: a new campaign giving the campaign's devices a previous model version",
    tag: 'ota',
    access: 'admin',
    params: byId,
    body: object({
      modelId: optional(id()),
      name: optional(name()),
      phases: optional(array(phase, { min: 1, max: 32 })),
    }),
    response: { status: 201, description: 'the rollback campaign', schema: CAMPAIGN_SCHEMA },
    handler: async ({ params, body, deps }) => {
      const ota = otaOf(deps);
      const r = await otaCall(() => ota.rollback(params.id, body));
      return view(ota.store, r.campaign);
    },
  }),
];

/**
 * Training sessions. Starting, stopping or reconfiguring one sends a command to its gateway (a GW_COMMAND,
 * PROTOCOL.md §4.7); the status moves on when the gateway reports back.
 */
import type { JsonObject, TrainingSession } from '../../store/index.js';
import { SESSION_STATUSES } from '../../store/index.js';
import type { ApiDeps, GatewayCommand } from '../deps.js';
import { HttpError } from '../errors.js';
import { pageFields, pageOf, pageSchema } from '../pagination.js';
import { type Route, route } from '../route.js';
import { ref } from '../schemas.js';
import { array, boolean, enumOf, jsonObject, object, optional } from '../validate/index.js';
import { id } from './common.js';

const byId = object({ id: id() });
const config = jsonObject<JsonObject>({
  maxBytes: 16_384,
  description: 'training configuration, sent to the devices',
});

async function send(deps: ApiDeps, s: TrainingSession, cmd: GatewayCommand): Promise<void> {
  try {
    await deps.commander.send(s.gatewayId, cmd);
  } catch (e) {
    throw new HttpError(502, 'UPSTREAM_FAILED', `could not send ${cmd.op} to gateway ${s.gatewayId}`, {
      cause: e,
    });
  }
  deps.store.events.add({
    level: 'info',
    kind: 'command.sent',
    gatewayId: s.gatewayId,
    sessionId: s.id,
    message: cmd.op,
  });
}

async function start(deps: ApiDeps, s: TrainingSession): Promise<TrainingSession> {
  if (s.status === 'starting' || s.status === 'running') return s;
  if (s.status === 'stopping') throw new HttpError(409, 'BAD_STATE', `session ${s.id} is stopping`);
  await send(deps, s, { op: 'session.start', sessionId: s.id, deviceIds: s.deviceIds, config: s.config });
  return deps.store.sessions.setStatus(s.id, 'starting');
}

export const sessionRoutes: Route[] = [
  route({
    method: 'get',
    path: '/v1/sessions',
    summary: 'List training sessions',
    tag: 'sessions',
    access: 'read',
    query: object({
      ...pageFields,
      gatewayId: optional(id()),
      fleetId: optional(id()),
      status: optional(enumOf(SESSION_STATUSES)),
    }),
    response: { status: 200, description: 'a page of sessions', schema: pageSchema(ref('TrainingSession')) },
    handler: ({ query, deps }) =>
      deps.store.sessions.list({
        ...pageOf(query),
        gatewayId: query.gatewayId,
        fleetId: query.fleetId,
        status: query.status,
      }),
  }),
  route({
    method: 'post',
    path: '/v1/sessions',
    summary: 'Create a training session on devices of one gateway; with start=true, start it too',
    tag: 'sessions',
    access: 'admin',
    body: object({
      gatewayId: id(),
      deviceIds: array(id(), { min: 1, max: 256 }),
      config,
      start: optional(boolean()),
    }),
    response: { status: 201, description: 'the session', schema: ref('TrainingSession') },
    handler: async ({ body, deps }) => {
      for (const d of body.deviceIds) {
        const dev = deps.store.devices.require(d);
        if (dev.gatewayId !== body.gatewayId) {
          throw new HttpError(409, 'CONFLICT', `device ${d} is attached to gateway ${dev.gatewayId}`);
        }
      }
      const s = deps.store.sessions.create(body);
      return body.start ? start(deps, s) : s;
    },
  }),
  route({
    method: 'get',
    path: '/v1/sessions/{id}',
    summary: 'Get a session and its status',
    tag: 'sessions',
    access: 'read',
    params: byId,
    response: { status: 200, description: 'the session', schema: ref('TrainingSession') },
    handler: ({ params, deps }) => deps.store.sessions.require(params.id),
  }),
  route({
    method: 'post',
    path: '/v1/sessions/{id}/start',
    summary: 'Start a session (sends session.start to its gateway)',
    tag: 'sessions',
    access: 'admin',
    params: byId,
    response: { status: 200, description: 'the session', schema: ref('TrainingSession') },
    handler: ({ params, deps }) => start(deps, deps.store.sessions.require(params.id)),
  }),
  route({
    method: 'post',
    path: '/v1/sessions/{id}/stop',
    summary: 'Stop a session (sends session.stop to its gateway)',
    tag: 'sessions',
    access: 'admin',
    params: byId,
    response: { status: 200, description: 'the session', schema: ref('TrainingSession') },
    handler: async ({ params, deps }) => {
      const s = deps.store.sessions.require(params.id);
      if (s.status === 'created') return deps.store.sessions.setStatus(s.id, 'stopped');
      if (s.status !== 'starting' && s.status !== 'running') return s;
      await send(deps, s, { op: 'session.stop', sessionId: s.id, deviceIds: s.deviceIds });
      return deps.store.sessions.setStatus(s.id, 'stopping');
    },
  }),
  route({
    method: 'put',
    path: '/v1/sessions/{id}/config',
    summary: 'Replace the configuration (sent to the gateway when the session is running)',
    tag: 'sessions',
    access: 'admin',
    params: byId,
    body: object({ config }),
    response: { status: 200, description: 'the session', schema: ref('TrainingSession') },
    handler: async ({ params, body, deps }) => {
      const s = deps.store.sessions.require(params.id);
      if (s.status === 'starting' || s.status === 'running') {
        await send(deps, s, {
          op: 'session.config',
          sessionId: s.id,
          deviceIds: s.deviceIds,
          config: body.config,
        });
      }
      return deps.store.sessions.setConfig(s.id, body.config);
    },
  }),
  route({
    method: 'get',
    path: '/v1/sessions/{id}/metrics',
    summary: 'Metrics series of a session, ordered by step (optionally one device)',
    tag: 'sessions',
    access: 'read',
    params: byId,
    query: object({ ...pageFields, deviceId: optional(id()) }),
    response: { status: 200, description: 'a page of metric points', schema: pageSchema(ref('MetricPoint')) },
    handler: ({ params, query, deps }) => {
      deps.store.sessions.require(params.id);
      return deps.store.metrics.series({ ...pageOf(query), sessionId: params.id, deviceId: query.deviceId });
    },
  }),
];

/** Partial gradient updates as received (GRAD_UPDATE, PROTOCOL.md §4.4), and the events/log table. */
import { HttpError } from '../errors.js';
import { pageFields, pageOf, pageSchema } from '../pagination.js';
import { type Route, route } from '../route.js';
import { ref } from '../schemas.js';
import { int, object, optional, string } from '../validate/index.js';
import { id } from './common.js';

const byNum = object({ id: int({ min: 1, coerce: true }) });

export const gradientRoutes: Route[] = [
  route({
    method: 'get',
    path: '/v1/gradient-updates',
    summary: 'List partial gradient updates (optionally of one session and/or device)',
    tag: 'telemetry',
    access: 'read',
    query: object({ ...pageFields, sessionId: optional(id()), deviceId: optional(id()) }),
    response: { status: 200, description: 'a page of updates', schema: pageSchema(ref('GradientUpdate')) },
    handler: ({ query, deps }) =>
      deps.store.gradients.list({ ...pageOf(query), sessionId: query.sessionId, deviceId: query.deviceId }),
  }),
  route({
    method: 'get',
    path: '/v1/gradient-updates/{id}',
    summary: 'Get one gradient update (scalar fields)',
    tag: 'telemetry',
    access: 'read',
    params: byNum,
    response: { status: 200, description: 'the update', schema: ref('GradientUpdate') },
    handler: ({ params, deps }) => {
      const u = deps.store.gradients.get(params.id);
      if (!u) throw new HttpError(404, 'NOT_FOUND', `gradient update ${params.id} not found`);
      return u;
    },
  }),
  route({
    method: 'get',
    path: '/v1/gradient-updates/{id}/raw',
    summary: 'The GRAD_UPDATE message exactly as received (CBOR)',
    tag: 'telemetry',
    access: 'read',
    params: byNum,
    response: { status: 200, description: 'CBOR bytes', contentType: 'application/cbor' },
    handler: ({ params, deps }) => {
      const raw = deps.store.gradients.raw(params.id);
      if (!raw) throw new HttpError(404, 'NOT_FOUND', `gradient update ${params.id} not found`);
      return new Response(new Uint8Array(raw), { headers: { 'content-type': 'application/cbor' } });
    },
  }),
  route({
    method: 'get',
    path: '/v1/events',
    summary: 'Events and logs: device LOG lines, rejected messages, presence, commands',
    tag: 'telemetry',
    access: 'read',
    query: object({
      ...pageFields,
      kind: optional(string({ min: 1, max: 64 })),
      gatewayId: optional(id()),
      deviceId: optional(id()),
    }),
    response: { status: 200, description: 'a page of events', schema: pageSchema(ref('Event')) },
    handler: ({ query, deps }) =>
      deps.store.events.list({
        ...pageOf(query),
        kind: query.kind,
        gatewayId: query.gatewayId,
        deviceId: query.deviceId,
      }),
  }),
];

/** Fleets CRUD. */
import { pageFields, pageOf, pageSchema } from '../pagination.js';
import { type Route, route } from '../route.js';
import { ref } from '../schemas.js';
import { object, optional, string } from '../validate/index.js';
import { id, name } from './common.js';

const byId = object({ id: id() });
const description = optional(string({ max: 2000 }));

export const fleetRoutes: Route[] = [
  route({
    method: 'get',
    path: '/v1/fleets',
    summary: 'List fleets',
    tag: 'fleets',
    access: 'read',
    query: object(pageFields),
    response: { status: 200, description: 'a page of fleets', schema: pageSchema(ref('Fleet')) },
    handler: ({ query, deps }) => deps.store.fleets.list(pageOf(query)),
  }),
  route({
    method: 'post',
    path: '/v1/fleets',
    summary: 'Create a fleet',
    tag: 'fleets',
    access: 'admin',
    body: object({ name: name(), description }),
    response: { status: 201, description: 'the new fleet', schema: ref('Fleet') },
    handler: ({ body, deps }) => deps.store.fleets.create(body),
  }),
  route({
    method: 'get',
    path: '/v1/fleets/{id}',
    summary: 'Get a fleet',
    tag: 'fleets',
    access: 'read',
    params: byId,
    response: { status: 200, description: 'the fleet', schema: ref('Fleet') },
    handler: ({ params, deps }) => deps.store.fleets.require(params.id),
  }),
  route({
    method: 'patch',
    path: '/v1/fleets/{id}',
    summary: 'Rename or describe a fleet',
    tag: 'fleets',
    access: 'admin',
    params: byId,
    body: object({ name: optional(name()), description }),
    response: { status: 200, description: 'the updated fleet', schema: ref('Fleet') },
    handler: ({ params, body, deps }) => deps.store.fleets.update(params.id, body),
  }),
  route({
    method: 'delete',
    path: '/v1/fleets/{id}',
    summary: 'Delete a fleet (409 while it has gateways)',
    tag: 'fleets',
    access: 'admin',
    params: byId,
    response: { status: 204, description: 'deleted' },
    handler: ({ params, deps }) => deps.store.fleets.delete(params.id),
  }),
];

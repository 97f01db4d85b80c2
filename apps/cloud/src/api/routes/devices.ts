/** Devices: registered by HELLO through their gateway; tags and profile are set here. */
import { pageFields, pageOf, pageSchema } from '../pagination.js';
import { type Route, route } from '../route.js';
import { ref } from '../schemas.js';
import { array, nullable, object, optional, string } from '../validate/index.js';
import { id } from './common.js';

const byId = object({ id: id() });
const tag = string({ min: 1, max: 64, pattern: /^[A-Za-z0-9_.:-]+$/ });

export const deviceRoutes: Route[] = [
  route({
    method: 'get',
    path: '/v1/devices',
    summary: 'List devices',
    tag: 'devices',
    access: 'read',
    query: object({ ...pageFields, fleetId: optional(id()), gatewayId: optional(id()), tag: optional(tag) }),
    response: { status: 200, description: 'a page of devices', schema: pageSchema(ref('Device')) },
    handler: ({ query, deps }) =>
      deps.store.devices.list({
        ...pageOf(query),
        fleetId: query.fleetId,
        gatewayId: query.gatewayId,
        tag: query.tag,
      }),
  }),
  route({
    method: 'get',
    path: '/v1/devices/{id}',
    summary: 'Get a device',
    tag: 'devices',
    access: 'read',
    params: byId,
    response: { status: 200, description: 'the device', schema: ref('Device') },
    handler: ({ params, deps }) => deps.store.devices.require(params.id),
  }),
  route({
    method: 'patch',
    path: '/v1/devices/{id}',
    summary: 'Set the tags or the MCU profile of a device',
    tag: 'devices',
    access: 'admin',
    params: byId,
    body: object({
      tags: optional(array(tag, { max: 64 })),
      profile: optional(nullable(string({ min: 1, max: 200 }))),
    }),
    response: { status: 200, description: 'the updated device', schema: ref('Device') },
    handler: ({ params, body, deps }) => deps.store.devices.patch(params.id, body),
  }),
];

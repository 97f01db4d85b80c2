/** Gateways: created with MQTT credentials shown once (username = gateway id). */
import { clientIdFor, gatewayIdentity } from '@tinyfleet/protocol/mqtt';
import { pageFields, pageOf, pageSchema } from '../pagination.js';
import { type Route, route } from '../route.js';
import { ref } from '../schemas.js';
import { object, optional } from '../validate/index.js';
import { id, name } from './common.js';

const byId = object({ id: id() });

export const gatewayRoutes: Route[] = [
  route({
    method: 'get',
    path: '/v1/gateways',
    summary: 'List gateways',
    tag: 'gateways',
    access: 'read',
    query: object({ ...pageFields, fleetId: optional(id()) }),
    response: { status: 200, description: 'a page of gateways', schema: pageSchema(ref('Gateway')) },
    handler: ({ query, deps }) => deps.store.gateways.list({ ...pageOf(query), fleetId: query.fleetId }),
  }),
  route({
    method: 'post',
    path: '/v1/gateways',
    summary: 'Register a gateway and issue its MQTT credentials (the password is shown only here)',
    tag: 'gateways',
    access: 'admin',
    body: object({ fleetId: id(), name: name() }),
    response: {
      status: 201,
      description: 'the gateway and its MQTT credentials',
      schema: {
        type: 'object',
        required: ['gateway', 'mqtt'],
        properties: { gateway: ref('Gateway'), mqtt: ref('MqttCredentials') },
      },
    },
    handler: ({ body, deps }) => {
      const { gateway, password } = deps.store.gateways.create(body);
      deps.store.events.add({
        level: 'info',
        kind: 'gateway.created',
        gatewayId: gateway.id,
        message: gateway.name,
      });
      // PROTOCOL.md §2.2, §2.6: user name = the gateway id, client id = `gw-{gw}`.
      return {
        gateway,
        mqtt: {
          url: deps.mqtt.url,
          wsUrl: deps.mqtt.wsUrl ?? null,
          clientId: clientIdFor(gatewayIdentity(gateway.id)),
          username: gateway.id,
          password,
        },
      };
    },
  }),
  route({
    method: 'get',
    path: '/v1/gateways/{id}',
    summary: 'Get a gateway',
    tag: 'gateways',
    access: 'read',
    params: byId,
    response: { status: 200, description: 'the gateway', schema: ref('Gateway') },
    handler: ({ params, deps }) => deps.store.gateways.require(params.id),
  }),
  route({
    method: 'delete',
    path: '/v1/gateways/{id}',
    summary: 'Delete a gateway, its devices and sessions; its credentials stop working',
    tag: 'gateways',
    access: 'admin',
    params: byId,
    response: { status: 204, description: 'deleted' },
    handler: async ({ params, deps }) => {
      deps.store.gateways.delete(params.id); // first: the credentials stop working
      try {
        await deps.commander.forgetGateway?.(params.id);
      } catch (e) {
        deps.log?.('warn', `gateway ${params.id} deleted, but its MQTT session could not be closed`, e);
      }
      deps.store.events.add({
        level: 'info',
        kind: 'gateway.deleted',
        gatewayId: params.id,
        message: params.id,
      });
    },
  }),
];

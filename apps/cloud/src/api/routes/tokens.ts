/** API tokens (admin only). The plaintext is returned once; the store keeps a hash. */
import { pageFields, pageOf, pageSchema } from '../pagination.js';
import { type Route, route } from '../route.js';
import { ref } from '../schemas.js';
import { enumOf, object } from '../validate/index.js';
import { id, name } from './common.js';

export const tokenRoutes: Route[] = [
  route({
    method: 'get',
    path: '/v1/tokens',
    summary: 'List API tokens (never their secrets)',
    tag: 'tokens',
    access: 'admin',
    query: object(pageFields),
    response: { status: 200, description: 'a page of tokens', schema: pageSchema(ref('ApiToken')) },
    handler: ({ query, deps }) => deps.store.tokens.list(pageOf(query)),
  }),
  route({
    method: 'post',
    path: '/v1/tokens',
    summary: "Create a token; 'read' tokens also log in to MQTT as read-only monitors",
    tag: 'tokens',
    access: 'admin',
    body: object({ name: name(), scope: enumOf(['admin', 'read'] as const) }),
    response: {
      status: 201,
      description: 'the token and its secret, shown once',
      schema: {
        type: 'object',
        required: ['token', 'secret'],
        properties: { token: ref('ApiToken'), secret: { type: 'string' } },
      },
    },
    handler: ({ body, deps }) => deps.store.tokens.create(body),
  }),
  route({
    method: 'delete',
    path: '/v1/tokens/{id}',
    summary: 'Revoke a token',
    tag: 'tokens',
    access: 'admin',
    params: object({ id: id() }),
    response: { status: 204, description: 'revoked' },
    handler: ({ params, deps }) => deps.store.tokens.revoke(params.id),
  }),
];

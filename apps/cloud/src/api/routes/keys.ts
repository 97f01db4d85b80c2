/**
 * Signing keys (PROTOCOL.md §5.9). `GET /v1/keys` is public: gateways fetch the public keys they verify
 * artifacts with before any byte goes to a device. Rotation makes a new active key; retired keys verify
 * nothing.
 */
import type { SigningKey } from '../../store/index.js';
import { type Route, route } from '../route.js';
import type { JsonSchema } from '../validate/index.js';
import { enumOf, object, optional, string } from '../validate/index.js';
import { otaCall, otaOf } from './models.js';

const KEY_ID = /^[0-9a-f]{16}$/;

export const KEY_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['id', 'publicKey', 'status', 'hasPrivate', 'name', 'createdMs', 'retiredMs'],
  properties: {
    id: { type: 'string', pattern: KEY_ID.source, description: 'key id (PROTOCOL.md §5.9)' },
    publicKey: { type: 'string', description: 'raw 32-byte Ed25519 public key, hex' },
    status: { type: 'string', enum: ['active', 'valid', 'retired'] },
    hasPrivate: { type: 'boolean', description: 'the cloud can sign with it' },
    name: { type: 'string' },
    createdMs: { type: 'integer' },
    retiredMs: { type: ['integer', 'null'] },
  },
};

const byKeyId = object({ id: string({ pattern: KEY_ID }) });

export const keyRoutes: Route[] = [
  route({
    method: 'get',
    path: '/v1/keys',
    summary: 'Public signing keys (active and valid; all=1 adds retired ones), for gateways',
    tag: 'ota',
    access: 'none',
    query: object({ all: optional(enumOf(['0', '1'])) }),
    response: {
      status: 200,
      description: 'the keys',
      schema: {
        type: 'object',
        required: ['items'],
        properties: { items: { type: 'array', items: KEY_SCHEMA } },
      },
    },
    handler: ({ query, deps }) => {
      const keys = otaOf(deps).store.keys.list();
      return { items: query.all === '1' ? keys : keys.filter((k: SigningKey) => k.status !== 'retired') };
    },
  }),
  route({
    method: 'post',
    path: '/v1/keys/rotate',
    summary: 'Make a new active signing key; the previous one stays valid for verification',
    tag: 'ota',
    access: 'admin',
    response: { status: 201, description: 'the new active key', schema: KEY_SCHEMA },
    handler: ({ deps }) => otaCall(() => otaOf(deps).keys.rotate(otaOf(deps).now())),
  }),
  route({
    method: 'post',
    path: '/v1/keys',
    summary: "Trust an outside signer's Ed25519 public key (verification only)",
    tag: 'ota',
    access: 'admin',
    body: object({
      publicKey: string({ pattern: /^[0-9a-f]{64}$/, description: 'raw 32-byte public key, lowercase hex' }),
      name: string({ min: 1, max: 200 }),
    }),
    response: { status: 201, description: 'the key', schema: KEY_SCHEMA },
    handler: ({ body, deps }) =>
      otaCall(() => {
        const ota = otaOf(deps);
        return ota.keys.importPublic(
          new Uint8Array(Buffer.from(body.publicKey, 'hex')),
          body.name,
          ota.now(),
        );
      }),
  }),
  route({
    method: 'post',
    path: '/v1/keys/{id}/retire',
    summary: 'Retire a key that is not active: artifacts signed only by it no longer verify',
    tag: 'ota',
    access: 'admin',
    params: byKeyId,
    response: { status: 200, description: 'the key', schema: KEY_SCHEMA },
    handler: ({ params, deps }) => otaCall(() => otaOf(deps).keys.retire(params.id, otaOf(deps).now())),
  }),
];

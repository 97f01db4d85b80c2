/**
 * The model registry. `POST /v1/models` takes an artifact file (PROTOCOL.md §5) as
 * application/octet-stream: it is read with every §5.10 check and its signature verified (§5.9); an
 * unsigned one is signed with the cloud's active key when `sign=1`, else refused. A refused artifact is
 * answered 422 with the protocol's error code (SHA_MISMATCH, BAD_SIGNATURE, ...).
 */
import { isProtocolError } from '@tinyfleet/protocol/errors';
import type { OtaService } from '../../ota/index.js';
import { isOtaError } from '../../ota/index.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../errors.js';
import { pageFields, pageOf, pageSchema } from '../pagination.js';
import { type Route, route } from '../route.js';
import type { JsonSchema } from '../validate/index.js';
import { enumOf, object, optional, string } from '../validate/index.js';
import { id } from './common.js';

/** Largest artifact accepted: the OTA transfer limit (PROTOCOL.md §4.6.2 `size`). */
export const MAX_ARTIFACT_BYTES = 16 * 1024 * 1024;

export function otaOf(deps: ApiDeps): OtaService {
  if (!deps.ota) throw new HttpError(503, 'UNAVAILABLE', 'OTA is not configured on this server');
  return deps.ota;
}

/** Run an OTA operation, mapping its typed errors to HTTP. */
export async function otaCall<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (isProtocolError(e)) throw new HttpError(422, e.code, e.message, { cause: e });
    if (!isOtaError(e)) throw e;
    switch (e.code) {
      case 'NOT_FOUND':
        throw new HttpError(404, 'NOT_FOUND', e.message, { cause: e });
      case 'INVALID':
        throw new HttpError(400, 'VALIDATION_FAILED', e.message, { cause: e });
      case 'NO_SIGNING_KEY':
        throw new HttpError(503, 'UNAVAILABLE', e.message, { cause: e });
      default:
        throw new HttpError(409, e.code === 'BAD_STATE' ? 'BAD_STATE' : 'CONFLICT', e.message, { cause: e });
    }
  }
}

const str = { type: 'string' };
const int = { type: 'integer' };
export const MODEL_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    id: str,
    name: str,
    version: int,
    sha256: { type: 'string', description: 'artifact content digest, hex (PROTOCOL.md §5.8)' },
    objectId: { type: 'string', description: 'SHA-256 of the whole file, hex (PROTOCOL.md §2.7)' },
    size: int,
    keyId: { type: 'string', description: 'signing key id (PROTOCOL.md §5.9)' },
    abiVersion: int,
    arenaInferBytes: int,
    arenaTrainBytes: int,
    ramBytes: int,
    training: { type: 'boolean' },
    opKinds: { type: 'array', items: int, description: 'OP_KINDS values used (PROTOCOL.md §5.4)' },
    cores: { type: 'array', items: str, description: 'cores it is built for; empty: any' },
    createdMs: int,
  },
};

const CORES = /^[a-z0-9+-]{1,64}(,[a-z0-9+-]{1,64}){0,31}$/;

export const modelRoutes: Route[] = [
  route({
    method: 'post',
    path: '/v1/models',
    summary: 'Upload a model artifact (verified; unsigned ones signed with sign=1, else refused)',
    tag: 'ota',
    access: 'admin',
    query: object({
      sign: optional(enumOf(['0', '1'], 'sign an unsigned artifact with the active key')),
      cores: optional(string({ pattern: CORES, description: 'comma-separated MCU cores; absent: any' })),
    }),
    rawBody: {
      contentType: 'application/octet-stream',
      description: 'the artifact file (PROTOCOL.md §5)',
      maxBytes: MAX_ARTIFACT_BYTES,
    },
    response: {
      status: 201,
      description: 'registered (200 when the same file was already)',
      schema: MODEL_SCHEMA,
    },
    handler: async ({ query, deps, c }) => {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      if (bytes.length === 0) throw new HttpError(400, 'VALIDATION_FAILED', 'empty body: send the artifact');
      const r = await otaCall(() =>
        otaOf(deps).upload(bytes, { sign: query.sign === '1', cores: query.cores?.split(',') }),
      );
      return c.json(r.model, r.created ? 201 : 200);
    },
  }),
  route({
    method: 'get',
    path: '/v1/models',
    summary: 'List registered models',
    tag: 'ota',
    access: 'read',
    query: object({ ...pageFields, name: optional(string({ min: 1, max: 64 })) }),
    response: { status: 200, description: 'a page of models', schema: pageSchema(MODEL_SCHEMA) },
    handler: ({ query, deps }) => otaOf(deps).store.models.list({ ...pageOf(query), name: query.name }),
  }),
  route({
    method: 'get',
    path: '/v1/models/{id}',
    summary: 'Get a model',
    tag: 'ota',
    access: 'read',
    params: object({ id: id() }),
    response: { status: 200, description: 'the model', schema: MODEL_SCHEMA },
    handler: ({ params, deps }) => otaOf(deps).store.models.require(params.id),
  }),
  route({
    method: 'get',
    path: '/v1/models/{id}/artifact',
    summary: 'Download the stored artifact file (signature envelope included)',
    tag: 'ota',
    access: 'read',
    params: object({ id: id() }),
    response: { status: 200, description: 'the artifact bytes', contentType: 'application/octet-stream' },
    handler: ({ params, deps }) => {
      const ota = otaOf(deps);
      const m = ota.store.models.require(params.id);
      const bytes = ota.objects.read(m.objectId);
      if (!bytes) throw new HttpError(404, 'NOT_FOUND', `artifact file of ${m.id} is missing`);
      return new Response(bytes, {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      });
    },
  }),
];

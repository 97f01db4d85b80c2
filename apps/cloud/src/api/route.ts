/**
 * The route table's element. A route declares its method, path, access level and schemas once; from that
 * one definition we both register the Hono handler (validating before the handler runs) and describe the
 * operation in `/openapi.json`.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ApiToken } from '../store/index.js';
import type { ApiDeps } from './deps.js';
import { HttpError } from './errors.js';
import { type JsonSchema, parse, type Schema } from './validate/index.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** `none`: public. `read`: any valid token. `admin`: an admin token. */
export type Access = 'none' | 'read' | 'admin';

export interface HandlerArgs<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  deps: ApiDeps;
  token: ApiToken | undefined;
  c: Context;
}

export interface RouteSpec<P, Q, B> {
  method: Method;
  /** OpenAPI style: `/v1/fleets/{id}`. */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  /** Also accept the token as `?access_token=` (EventSource cannot set headers). */
  queryToken?: boolean;
  params?: Schema<P>;
  query?: Schema<Q>;
  body?: Schema<B>;
  /** A non-JSON request body (e.g. an artifact), read by the handler itself; documented, size-limited. */
  rawBody?: { contentType: string; description: string; maxBytes: number };
  /** Status and body of success; `schema` omitted for empty bodies, `contentType` for non-JSON. */
  response: {
    status: ContentfulStatusCode | 204;
    description: string;
    schema?: JsonSchema;
    contentType?: string;
  };
  /** Return a JSON-able value (sent with `response.status`) or a ready Response (streams, raw bytes). */
  handler(args: HandlerArgs<P, Q, B>): unknown;
}

/** A route with its types erased, so routes of all shapes fit in one table. */
export interface Route {
  readonly spec: RouteSpec<unknown, unknown, unknown>;
  handle(c: Context, deps: ApiDeps, token: ApiToken | undefined): Promise<Response>;
}

async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, 'BAD_JSON', 'request body is not valid JSON', { cause: e });
  }
}

export function route<P = undefined, Q = undefined, B = undefined>(spec: RouteSpec<P, Q, B>): Route {
  return {
    spec: spec as RouteSpec<unknown, unknown, unknown>,
    async handle(c, deps, token) {
      // Validate at the boundary: path, query, then body, before any side effect.
      const params = spec.params ? parse(spec.params, c.req.param(), 'path') : (undefined as P);
      const query = spec.query ? parse(spec.query, c.req.query(), 'query') : (undefined as Q);
      const body = spec.body ? parse(spec.body, await readJson(c), 'body') : (undefined as B);
      const out = await spec.handler({ params, query, body, deps, token, c });
      if (out instanceof Response) return out;
      if (spec.response.status === 204) return c.body(null, 204);
      return c.json(out as object, spec.response.status);
    },
  };
}

/** `/v1/fleets/{id}` -> `/v1/fleets/:id` */
export function honoPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

/**
 * The HTTP API (Hono): JSON everywhere, bearer tokens checked against their hashes, every route from the
 * route table validated before its handler runs, errors as `{ error: { code, message, details? } }`.
 */

import type { Context } from 'hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ApiToken } from '../store/index.js';
import type { ApiDeps } from './deps.js';
import { HttpError, toHttpError } from './errors.js';
import { buildOpenApi } from './openapi.js';
import { honoPath, type Route } from './route.js';
import { ROUTES } from './routes/index.js';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function authenticate(c: Context, route: Route, deps: ApiDeps): ApiToken | undefined {
  const { access, queryToken } = route.spec;
  if (access === 'none') return undefined;
  const header = c.req.header('authorization');
  const presented = header ? BEARER.exec(header)?.[1] : queryToken ? c.req.query('access_token') : undefined;
  if (!presented) throw new HttpError(401, 'UNAUTHORIZED', 'missing bearer token');
  const token = deps.store.tokens.verify(presented);
  if (!token) throw new HttpError(401, 'UNAUTHORIZED', 'invalid or revoked token');
  if (access === 'admin' && token.scope !== 'admin') {
    throw new HttpError(403, 'FORBIDDEN', 'this route needs an admin token');
  }
  return token;
}

export function createApi(deps: ApiDeps, routes: readonly Route[] = ROUTES): Hono {
  const app = new Hono();
  const log = deps.log ?? (() => {});
  const openapi = buildOpenApi(routes);

  // Per route: JSON bodies get the API's limit, raw bodies (artifact uploads) their own.
  const limit = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new HttpError(413, 'PAYLOAD_TOO_LARGE', 'request body too large');
      },
    });

  app.get('/openapi.json', (c) => c.json(openapi));
  app.get('/healthz', (c) => c.json({ ok: true }));

  for (const r of routes) {
    const maxSize = r.spec.rawBody?.maxBytes ?? deps.maxBodyBytes ?? 1024 * 1024;
    app.on(r.spec.method.toUpperCase(), honoPath(r.spec.path), limit(maxSize), (c) => {
      const token = authenticate(c, r, deps);
      return r.handle(c, deps, token);
    });
  }

  app.notFound((c) =>
    c.json(new HttpError(404, 'NOT_FOUND', `no route ${c.req.method} ${c.req.path}`).toJSON(), 404),
  );
  app.onError((e, c) => {
    const err = toHttpError(e);
    if (err.status >= 500) log('error', `${c.req.method} ${c.req.path}: ${err.message}`, e);
    return c.json(err.toJSON(), err.status);
  });
  return app;
}

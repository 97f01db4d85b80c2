/** `/openapi.json`, built from the route table (the one source of truth for paths and schemas). */
import type { Route } from './route.js';
import { COMPONENTS, ref } from './schemas.js';
import type { JsonSchema } from './validate/index.js';

/** Version of this API description (bump with breaking route changes). */
export const API_VERSION = '0.1.0';

function parameters(route: Route): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', route.spec.params],
    ['query', route.spec.query],
  ] as const) {
    const props = (schema?.json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((schema?.json.required ?? []) as string[]);
    for (const [name, s] of Object.entries(props)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: s });
    }
  }
  return out;
}

const errorResponse = (description: string): JsonSchema => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});

function operation(route: Route): JsonSchema {
  const { spec } = route;
  const res = spec.response;
  const success: JsonSchema = { description: res.description };
  if (res.schema) success.content = { [res.contentType ?? 'application/json']: { schema: res.schema } };
  else if (res.contentType) success.content = { [res.contentType]: {} };
  const responses: JsonSchema = { [String(res.status)]: success };
  if (spec.params || spec.query || spec.body || spec.rawBody)
    responses['400'] = errorResponse('invalid input');
  if (spec.access !== 'none') responses['401'] = errorResponse('missing or invalid token');
  if (spec.access === 'admin') responses['403'] = errorResponse('token lacks the admin scope');
  if (spec.params) responses['404'] = errorResponse('not found');
  const op: JsonSchema = {
    operationId: `${spec.method}${spec.path
      .replace(/[{}]/g, '')
      .replace(/\/([a-z])/g, (_m, ch: string) => ch.toUpperCase())
      .replace(/[^A-Za-z0-9]/g, '')}`,
    summary: spec.summary,
    tags: [spec.tag],
    parameters: parameters(route),
    responses,
  };
  if (spec.body)
    op.requestBody = { required: true, content: { 'application/json': { schema: spec.body.json } } };
  else if (spec.rawBody) {
    op.requestBody = {
      required: true,
      description: `${spec.rawBody.description} (at most ${spec.rawBody.maxBytes} bytes)`,
      content: { [spec.rawBody.contentType]: { schema: { type: 'string', format: 'binary' } } },
    };
  }
  op.security = spec.access === 'none' ? [] : [{ bearer: [] }];
  return op;
}

export function buildOpenApi(routes: readonly Route[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of routes) {
    const entry = paths[r.spec.path] ?? {};
    entry[r.spec.method] = operation(r);
    paths[r.spec.path] = entry;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'TinyFleet cloud API',
      version: API_VERSION,
      description:
        'Fleets, gateways, devices, on-device training sessions, metrics and partial gradient updates; ' +
        'OTA: signing keys, model artifacts, campaigns and their executions.',
    },
    components: {
      schemas: COMPONENTS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token (tft_...)' } },
    },
    security: [{ bearer: [] }],
    paths,
  };
}

/** JSON Schemas of what the API returns, published under `components.schemas` in `/openapi.json`. */
import { JOB_STATUSES, SESSION_STATUSES } from '../store/index.js';
import type { JsonSchema } from './validate/index.js';

const str = { type: 'string' };
const int = { type: 'integer' };
const msOrNull = { type: ['integer', 'null'], description: 'milliseconds since the Unix epoch' };
const strOrNull = { type: ['string', 'null'] };
const obj = { type: 'object' };

function record(properties: Record<string, JsonSchema>): JsonSchema {
  return { type: 'object', required: Object.keys(properties), properties };
}

export const COMPONENTS: Record<string, JsonSchema> = {
  Error: record({
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: str,
        message: str,
        details: { type: 'array', items: record({ path: str, message: str }) },
      },
    },
  }),
  Fleet: record({ id: str, name: str, description: str, createdMs: int, updatedMs: int }),
  Gateway: record({
    id: str,
    fleetId: str,
    name: str,
    online: { type: 'boolean' },
    status: { type: ['object', 'null'], description: 'last GW_STATUS (PROTOCOL.md §2.3)' },
    lastSeenMs: msOrNull,
    createdMs: int,
  }),
  MqttCredentials: record({
    url: str,
    wsUrl: strOrNull,
    clientId: str,
    username: str,
    password: { type: 'string', description: 'shown once; only its hash is stored' },
  }),
  Device: record({
    id: str,
    gatewayId: str,
    fleetId: str,
    capabilities: { type: 'object', description: 'from the device HELLO (PROTOCOL.md §4.2)' },
    profile: strOrNull,
    tags: { type: 'array', items: str },
    currentModel: strOrNull,
    online: { type: 'boolean' },
    lastSeenMs: msOrNull,
    createdMs: int,
    updatedMs: int,
  }),
  ApiToken: record({
    id: str,
    name: str,
    scope: { type: 'string', enum: ['admin', 'read'] },
    createdMs: int,
    lastUsedMs: msOrNull,
    revokedMs: msOrNull,
  }),
  TrainingSession: record({
    id: str,
    wireId: { type: 'integer', description: 'the session id in device messages (PROTOCOL.md §4.4)' },
    fleetId: str,
    gatewayId: str,
    deviceIds: { type: 'array', items: str },
    config: obj,
    status: {
      type: 'string',
      enum: [...SESSION_STATUSES],
      description:
        'created, starting (start sent), running, stopping (stop sent); once every device has ended (its ' +
        'newest TRAIN_STATUS, or a failed start/stop there): done (all reached their limit), stopped (none ' +
        'failed), failed (all failed) or partial (some failed, the others ended); `error` says why',
    },
    error: strOrNull,
    createdMs: int,
    updatedMs: int,
    startedMs: msOrNull,
    stoppedMs: msOrNull,
  }),
  MetricPoint: record({
    id: int,
    sessionId: str,
    deviceId: str,
    gatewayId: str,
    step: int,
    tsMs: int,
    values: { type: 'object', description: 'TRAIN_METRICS fields (PROTOCOL.md §4.4)' },
  }),
  GradientUpdate: record({
    id: int,
    sessionId: str,
    deviceId: str,
    gatewayId: str,
    msgId: str,
    step: int,
    layer: int,
    updatedCount: int,
    tsMs: int,
    fields: { type: 'object', description: 'GRAD_UPDATE scalar fields (PROTOCOL.md §4.4)' },
  }),
  Job: record({
    id: str,
    name: str,
    steps: {
      type: 'array',
      items: record({ command: str, args: { type: 'array', items: str } }),
      description: 'tinyfleet commands run in order in the job folder (each with --json)',
    },
    register: { type: 'boolean', description: 'register the .tfm artifacts written as signed models' },
    status: { type: 'string', enum: [...JOB_STATUSES] },
    progress: record({
      step: int,
      steps: int,
      line: strOrNull,
      fraction: { type: ['number', 'null'], description: 'fraction of the job done, when known' },
    }),
    results: { type: 'array', description: 'per step, the JSON the command printed' },
    files: { type: 'array', items: str, description: 'files in the job folder' },
    modelIds: { type: 'array', items: str, description: 'registered models (GET /v1/models/{id})' },
    error: strOrNull,
    createdMs: int,
    startedMs: msOrNull,
    finishedMs: msOrNull,
  }),
  Event: record({
    id: int,
    tsMs: int,
    level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'] },
    kind: str,
    gatewayId: strOrNull,
    deviceId: strOrNull,
    sessionId: strOrNull,
    message: str,
    data: {},
  }),
};

export const ref = (name: keyof typeof COMPONENTS & string): JsonSchema => ({
  $ref: `#/components/schemas/${name}`,
});

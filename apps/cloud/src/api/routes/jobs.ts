/**
 * Cloud jobs: NAS, compression, training and quantization runs in worker threads (apps/cloud/src/jobs).
 * A job is a list of `tinyfleet` command steps run in one folder; progress is on `/v1/stream` (`job`
 * events); `register: true` signs and registers the `.tfm` artifacts it writes as models.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../cli/args.js';
import type { JobRunner } from '../../jobs/runner.js';
import { JOB_COMMANDS, JobSpecError, MAX_STEPS } from '../../jobs/steps.js';
import { JOB_STATUSES } from '../../store/index.js';
import type { ApiDeps } from '../deps.js';
import { HttpError } from '../errors.js';
import { pageFields, pageOf, pageSchema } from '../pagination.js';
import { type Route, route } from '../route.js';
import { ref } from '../schemas.js';
import { array, boolean, enumOf, object, optional, string } from '../validate/index.js';
import { id, name } from './common.js';

const byId = object({ id: id() });
const FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function runnerOf(deps: ApiDeps): JobRunner {
  if (!deps.jobs) throw new HttpError(503, 'UNAVAILABLE', 'jobs are not configured on this server');
  return deps.jobs;
}

const step = object({
  command: enumOf(JOB_COMMANDS),
  args: array(string({ max: 1024 }), { max: 64 }),
});

export const jobRoutes: Route[] = [
  route({
    method: 'post',
    path: '/v1/jobs',
    summary: 'Queue a job: tinyfleet command steps (nas, compress, train, quantize, ...) run in a worker',
    tag: 'jobs',
    access: 'admin',
    body: object({
      name: name(),
      steps: array(step, { min: 1, max: MAX_STEPS }),
      register: optional(boolean()),
    }),
    response: { status: 201, description: 'the queued job', schema: ref('Job') },
    handler: ({ body, deps }) => {
      try {
        return runnerOf(deps).submit(body);
      } catch (e) {
        if (e instanceof JobSpecError || e instanceof UsageError || e instanceof RangeError)
          throw new HttpError(400, 'VALIDATION_FAILED', e.message, { cause: e });
        throw e;
      }
    },
  }),
  route({
    method: 'get',
    path: '/v1/jobs',
    summary: 'List jobs',
    tag: 'jobs',
    access: 'read',
    query: object({ ...pageFields, status: optional(enumOf(JOB_STATUSES)) }),
    response: { status: 200, description: 'a page of jobs', schema: pageSchema(ref('Job')) },
    handler: ({ query, deps }) => deps.store.jobs.list({ ...pageOf(query), status: query.status }),
  }),
  route({
    method: 'get',
    path: '/v1/jobs/{id}',
    summary: 'Get a job: status, progress, per-step results, files, registered models',
    tag: 'jobs',
    access: 'read',
    params: byId,
    response: { status: 200, description: 'the job', schema: ref('Job') },
    handler: ({ params, deps }) => deps.store.jobs.require(params.id),
  }),
  route({
    method: 'post',
    path: '/v1/jobs/{id}/cancel',
    summary: 'Cancel a queued or running job (its worker is terminated)',
    tag: 'jobs',
    access: 'admin',
    params: byId,
    response: { status: 200, description: 'the job', schema: ref('Job') },
    handler: ({ params, deps }) => runnerOf(deps).cancel(params.id),
  }),
  route({
    method: 'get',
    path: '/v1/jobs/{id}/files/{file}',
    summary: 'Download a file the job wrote (a model, an artifact, an ONNX export)',
    tag: 'jobs',
    access: 'read',
    params: object({ id: id(), file: string({ pattern: FILE }) }),
    response: { status: 200, description: 'the file', contentType: 'application/octet-stream' },
    handler: async ({ params, deps }) => {
      const job = deps.store.jobs.require(params.id);
      if (!job.files.includes(params.file))
        throw new HttpError(404, 'NOT_FOUND', `job ${job.id} has no file ${params.file}`);
      const bytes = await readFile(join(runnerOf(deps).folder(job.id), params.file));
      return new Response(bytes, {
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) },
      });
    },
  }),
];

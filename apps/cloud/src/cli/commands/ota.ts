/**
 * `tinyfleet ota <action>`: signing keys, model uploads and campaigns through the cloud's HTTP API
 * (apps/cloud/src/ota/README.md). The token comes from --token or $TINYFLEET_TOKEN, the server from --url
 * or $TINYFLEET_URL (default http://127.0.0.1:8080).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type FlagSpecs, number, type Parsed, parseFlags, str, UsageError } from '../args.js';
import type { CliIo } from '../io.js';
import type { Command } from './command.js';

const flags: FlagSpecs = {
  url: {
    type: 'string',
    value: 'URL',
    help: 'cloud HTTP API ($TINYFLEET_URL, default http://127.0.0.1:8080)',
  },
  token: { type: 'string', value: 'TOKEN', help: 'API token ($TINYFLEET_TOKEN)' },
  json: { type: 'boolean', help: 'print the JSON answer' },
  sign: { type: 'boolean', help: 'upload: sign an unsigned artifact with the cloud key' },
  cores: { type: 'string', value: 'A,B', help: 'upload: MCU cores the model is built for' },
  model: { type: 'string', value: 'ID', help: 'preview/create/rollback: the model id' },
  name: { type: 'string', value: 'NAME', help: 'preview/create/rollback: campaign name' },
  fleet: { type: 'string', value: 'ID', help: 'target: devices of a fleet' },
  tags: { type: 'string', value: 'A,B', help: 'target: devices with all these tags' },
  profile: { type: 'string', value: 'P', help: 'target: devices of an MCU profile' },
  core: { type: 'string', value: 'CORE', help: 'target: devices with this core' },
  devices: { type: 'string', value: 'D1,D2', help: 'target: an explicit device list' },
  phases: {
    type: 'string',
    value: 'SPEC',
    help: 'cumulative phase sizes: counts or percents, e.g. 1,10%,100%',
  },
  success: { type: 'string', value: 'PCT', help: 'success threshold of every phase, percent (100)' },
  soak: { type: 'string', value: 'MS', help: 'soak time after each phase meets its threshold (0)' },
  'abort-min': { type: 'string', value: 'N', help: 'abort: minimum finished executions before judging' },
  'abort-count': { type: 'string', value: 'N', help: 'abort: at this many failures' },
  'abort-percent': { type: 'string', value: 'PCT', help: 'abort: at this failure percent' },
};

const ACTIONS = `keys | rotate-key | upload FILE | models | preview | create | list | show ID | executions ID |
  pause ID | resume ID | cancel ID | rollback ID | watch [ID]`;

class ApiClient {
  constructor(
    readonly url: string,
    readonly token: string,
  ) {}

  async call(method: string, path: string, body?: unknown, raw?: Uint8Array): Promise<unknown> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    const init: RequestInit = { method, headers };
    if (raw) {
      headers['content-type'] = 'application/octet-stream';
      init.body = raw;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(`${this.url}${path}`, init);
    const text = await res.text();
    const json: unknown = text.length > 0 ? JSON.parse(text) : null;
    if (!res.ok) {
      const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
      throw Object.assign(new Error(`${res.status} ${err?.message ?? res.statusText}`), {
        code: err?.code ?? 'HTTP',
      });
    }
    return json;
  }
}

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').filter(Boolean));

function phases(p: Parsed) {
  const success = number(p, 'success', { integer: true, min: 0, max: 100 });
  const soakMs = number(p, 'soak', { integer: true, min: 0 });
  return list(str(p, 'phases'))?.map((x) => {
    const m = /^([0-9]+)(%?)$/.exec(x);
    if (!m?.[1]) throw new UsageError(`--phases: "${x}" is not a count or a percent`);
    const n = Number(m[1]);
    return { ...(m[2] ? { percent: n } : { count: n }), successPercent: success, soakMs };
  });
}

function campaignBody(p: Parsed) {
  const model = str(p, 'model');
  if (!model) throw new UsageError('missing --model');
  const min = number(p, 'abort-min', { integer: true, min: 0 });
  const abort =
    min === undefined
      ? undefined
      : {
          minExecuted: min,
          failureCount: number(p, 'abort-count', { integer: true, min: 1 }),
          failurePercent: number(p, 'abort-percent', { integer: true, min: 1, max: 100 }),
        };
  return {
    name: str(p, 'name') ?? `rollout of ${model}`,
    modelId: model,
    target: {
      fleetId: str(p, 'fleet'),
      tags: list(str(p, 'tags')),
      profile: str(p, 'profile'),
      core: str(p, 'core'),
      deviceIds: list(str(p, 'devices')),
    },
    phases: phases(p),
    abort,
  };
}

async function watch(api: ApiClient, id: string | undefined, io: CliIo): Promise<void> {
  const res = await fetch(`${api.url}/v1/stream?types=ota`, {
    headers: { authorization: `Bearer ${api.token}` },
  });
  const reader = res.body?.getReader();
  if (!res.ok || !reader) throw new Error(`stream: ${res.status}`);
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += decoder.decode(value, { stream: true });
    for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
      const data = /^data: (.*)$/m.exec(buf.slice(0, i))?.[1];
      buf = buf.slice(i + 2);
      if (!data) continue;
      const e = JSON.parse(data) as { kind: string; campaignId: string; deviceId?: string; state: string };
      if (id !== undefined && e.campaignId !== id) continue;
      io.stdout.write(`${e.campaignId} ${e.kind === 'campaign' ? '*' : e.deviceId} ${e.state}\n`);
      if (e.kind === 'campaign' && ['succeeded', 'aborted', 'canceled'].includes(e.state) && id) return;
    }
  }
}

export const otaCommand: Command = {
  name: 'ota',
  summary: 'Signing keys, model uploads and OTA campaigns (over the cloud HTTP API).',
  usage: `tinyfleet ota <${ACTIONS}> [options]`,
  flags,
  positionals: 2,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 2);
    const [action, arg] = p.positionals;
    const token = str(p, 'token') ?? io.env.TINYFLEET_TOKEN;
    if (!token) throw new UsageError('missing --token (or $TINYFLEET_TOKEN)');
    const api = new ApiClient(
      (str(p, 'url') ?? io.env.TINYFLEET_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, ''),
      token,
    );
    const need = () => {
      if (!arg) throw new UsageError(`ota ${action} needs an argument`);
      return encodeURIComponent(arg);
    };
    let out: unknown;
    switch (action) {
      case 'keys':
        out = await api.call('GET', '/v1/keys');
        break;
      case 'rotate-key':
        out = await api.call('POST', '/v1/keys/rotate');
        break;
      case 'upload': {
        if (!arg) throw new UsageError('ota upload needs the artifact file');
        const bytes = new Uint8Array(await readFile(resolve(io.cwd, arg)));
        const q = new URLSearchParams();
        if (p.flags.sign) q.set('sign', '1');
        const cores = str(p, 'cores');
        if (cores) q.set('cores', cores);
        out = await api.call('POST', `/v1/models${q.size > 0 ? `?${q}` : ''}`, undefined, bytes);
        break;
      }
      case 'models':
        out = await api.call('GET', '/v1/models');
        break;
      case 'preview':
        out = await api.call('POST', '/v1/campaigns/preview', campaignBody(p));
        break;
      case 'create':
        out = await api.call('POST', '/v1/campaigns', campaignBody(p));
        break;
      case 'list':
        out = await api.call('GET', '/v1/campaigns');
        break;
      case 'show':
        out = await api.call('GET', `/v1/campaigns/${need()}`);
        break;
      case 'executions':
        out = await api.call('GET', `/v1/campaigns/${need()}/executions?limit=500`);
        break;
      case 'pause':
      case 'resume':
      case 'cancel':
        out = await api.call('POST', `/v1/campaigns/${need()}/${action}`);
        break;
      case 'rollback':
        out = await api.call('POST', `/v1/campaigns/${need()}/rollback`, {
          modelId: str(p, 'model'),
          name: str(p, 'name'),
          phases: phases(p),
        });
        break;
      case 'watch':
        await watch(api, arg, io);
        return 0;
      default:
        throw new UsageError(`unknown action "${action ?? ''}": ${ACTIONS}`);
    }
    io.stdout.write(`${JSON.stringify(out, null, p.flags.json ? undefined : 2)}\n`);
    return 0;
  },
};

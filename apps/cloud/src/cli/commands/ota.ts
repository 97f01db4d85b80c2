/**
 * `tinyfleet ota <action>`: signing keys, model uploads and campaigns through the cloud's HTTP API
 * (apps/cloud/src/ota/README.md). The token comes from --token, $TINYFLEET_TOKEN or --site DIR (a running
 * `npm start` site's data directory), the server from --url, $TINYFLEET_URL, --site, or
 * http://127.0.0.1:8080. `watch` (and `create --watch`) follow a campaign live (ota-watch.ts).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type FlagSpecs, number, type Parsed, parseFlags, str, UsageError } from '../args.js';
import type { Command } from './command.js';
import { API_FLAGS, apiFrom, readSite, type SiteInfo } from './ota-api.js';
import { watchAll, watchCampaign } from './ota-watch.js';

const flags: FlagSpecs = {
  ...API_FLAGS,
  json: { type: 'boolean', help: 'print the JSON answer (watch: the final campaign as the last line)' },
  watch: { type: 'boolean', help: 'create/rollback: then follow the new campaign live until it ends' },
  interval: { type: 'string', value: 'MS', help: 'watch: re-read the campaign this often (1000)' },
  sign: { type: 'boolean', help: 'upload: sign an unsigned artifact with the cloud key' },
  cores: { type: 'string', value: 'A,B', help: 'upload: MCU cores the model is built for' },
  model: { type: 'string', value: 'ID', help: 'preview/create/rollback: the model id' },
  name: { type: 'string', value: 'NAME', help: 'preview/create/rollback: campaign name' },
  fleet: { type: 'string', value: 'ID', help: "target: devices of a fleet (with --site: the site's fleet)" },
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
/** `watch ID` exits 0 when the campaign succeeded, 1 when it was aborted or canceled. */

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

function campaignBody(p: Parsed, site: SiteInfo | undefined) {
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
      fleetId: str(p, 'fleet') ?? site?.fleetId,
      tags: list(str(p, 'tags')),
      profile: str(p, 'profile'),
      core: str(p, 'core'),
      deviceIds: list(str(p, 'devices')),
    },
    phases: phases(p),
    abort,
  };
}

export const otaCommand: Command = {
  name: 'ota',
  summary:
    'Signing keys, model uploads and OTA campaigns (over the cloud HTTP API). `watch ID` (or `create --watch`) ' +
    'follows a campaign live until it ends: exit status 0 if it succeeded, 1 if it was aborted or canceled.',
  usage: `tinyfleet ota <${ACTIONS}> [options]`,
  flags,
  positionals: 2,
  async run(argv, io) {
    const p = parseFlags(argv, flags, 2);
    const [action, arg] = p.positionals;
    const siteDir = str(p, 'site');
    const site = siteDir === undefined ? undefined : readSite(siteDir, io.cwd);
    const api = apiFrom({ url: str(p, 'url'), token: str(p, 'token') }, io.env, site);
    const watchOpts = {
      intervalMs: number(p, 'interval', { integer: true, min: 50 }) ?? 1000,
      json: p.flags.json === true,
    };
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
        out = await api.call('POST', '/v1/campaigns/preview', campaignBody(p, site));
        break;
      case 'create':
        // POST /v1/campaigns creates the campaign and starts it (its first phase is offered at once)
        out = await api.call('POST', '/v1/campaigns', campaignBody(p, site));
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
        return arg ? watchCampaign(api, arg, io, watchOpts) : watchAll(api, io, watchOpts);
      default:
        throw new UsageError(`unknown action "${action ?? ''}": ${ACTIONS}`);
    }
    const created = (out as { id?: unknown } | null)?.id;
    if (p.flags.watch && (action === 'create' || action === 'rollback') && typeof created === 'string') {
      io.stdout.write(`created campaign ${created}\n`);
      return watchCampaign(api, created, io, watchOpts);
    }
    io.stdout.write(`${JSON.stringify(out, null, p.flags.json ? undefined : 2)}\n`);
    return 0;
  },
};

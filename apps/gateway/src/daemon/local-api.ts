/**
 * The local control endpoints of the status server (README.md "Local CLI"): sessions started and
 * stopped on the site, and live samples. A local session is a GW_COMMAND made here (`cid`
 * `local.train.start:<sid>`): executed, recorded in the command ledger and reported to the cloud like
 * any other (GW_COMMAND_RESULT, §4.7.3); the cloud adopts its session by wire id from the device's
 * TRAIN_STATUS / TRAIN_METRICS. Bodies are validated here, before anything is sent.
 */
import { errorCodeName } from '@tinyfleet/protocol/constants';
import type { GwCommand, GwCommandResult, Value, ValueMap } from '@tinyfleet/protocol/messages';
import { randomMessageId } from '@tinyfleet/protocol/messages';
import type { CommandRunner } from '../session/index.js';
import { parseLiveSamples, type SourceSet } from '../sources/index.js';
import { SourceError } from '../sources/types.js';
import type { PostHandler } from '../status/index.js';

export interface LocalApiDeps {
  readonly commands: CommandRunner;
  readonly sources: SourceSet;
  /** Ids of the devices attached now. */
  readonly attached: () => string[];
}

type Reply = { status: number; body: unknown };

const bad = (error: string): Reply => ({ status: 400, body: { error } });

/** Numbers the CLI may pass, by request key -> GW_COMMAND `args` key (§4.4.2 wire keys). */
const NUMERIC: Record<string, { arg: string; int: boolean }> = {
  lr: { arg: 'lr', int: false },
  lmin: { arg: 'lmin', int: false },
  lmax: { arg: 'lmax', int: false },
  batch: { arg: 'bs', int: true },
  steps: { arg: 'steps', int: true },
  epochs: { arg: 'epochs', int: true },
  smax: { arg: 'smax', int: true },
  xs: { arg: 'xs', int: false },
  xz: { arg: 'xz', int: true },
};

function asObject(body: unknown): Record<string, unknown> | undefined {
  return body !== null && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : undefined;
}

/** `devices` (ids) or `all: true`; undefined when neither is valid. */
function targetsOf(b: Record<string, unknown>, attached: string[]): string[] | string {
  if (b.all === true) return attached.length > 0 ? attached : 'no device is attached';
  const d = b.devices;
  if (
    !Array.isArray(d) ||
    d.length === 0 ||
    !d.every((x) => typeof x === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(x))
  )
    return 'devices: a non-empty list of device ids expected (or all: true)';
  return d as string[];
}

function sidOf(v: unknown): number | undefined | string {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xffff_ffff)
    return 'sid: 1..2^32-1 expected';
  return v;
}

export function summarize(results: GwCommandResult[]) {
  return results.map((r) =>
    r.ok
      ? { device: r.deviceId, ok: true, result: r.result ?? null }
      : {
          device: r.deviceId,
          ok: false,
          error: errorCodeName.get(r.error ?? 0) ?? `#${r.error}`,
          text: r.text ?? '',
        },
  );
}

export function localApi(deps: LocalApiDeps): Record<string, PostHandler> {
  let lastSid = 0;
  // Local wire ids live in the upper half of u32, above the cloud's counter (it numbers from 1), and
  // grow with time so that a restarted gateway does not reuse one.
  const nextSid = () => {
    lastSid = Math.max(lastSid + 1, 0x8000_0000 + (Math.floor(Date.now() / 1000) % 0x7fff_0000));
    return lastSid;
  };
  const command = (kind: string, sid: number, targets: string[], args: ValueMap): GwCommand => ({
    type: 'GW_COMMAND',
    id: randomMessageId(),
    ts: Date.now(),
    commandId: `local.${kind}:${sid}`,
    command: kind,
    targets,
    args,
  });

  const start: PostHandler = async (body) => {
    const b = asObject(body);
    if (!b) return bad('body: object expected');
    const targets = targetsOf(b, deps.attached());
    if (typeof targets === 'string') return bad(targets);
    const given = sidOf(b.sid);
    if (typeof given === 'string') return bad(given);
    const args: Record<string, Value> = {};
    if (b.source !== undefined) {
      if (typeof b.source !== 'string' || !deps.sources.get(b.source))
        return bad(`source: no data source ${JSON.stringify(b.source)}`);
      args.src = b.source;
    }
    for (const [k, spec] of Object.entries(NUMERIC)) {
      const v = b[k];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || (spec.int && (!Number.isInteger(v) || v < 0)))
        return bad(`${k}: ${spec.int ? 'a non-negative integer' : 'a number'} expected`);
      args[spec.arg] = v;
    }
    const sid = given ?? nextSid();
    args.sid = sid;
    const results = await deps.commands.runLocal(command('train.start', sid, targets, args));
    return { status: 200, body: { sid, results: summarize(results) } };
  };

  const stop: PostHandler = async (body) => {
    const b = asObject(body);
    if (!b) return bad('body: object expected');
    const targets = targetsOf(b, [
      ...new Set(deps.commands.sessions.filter((s) => !s.error).map((s) => s.device)),
    ]);
    if (typeof targets === 'string') return bad(b.all === true ? 'no session is running' : targets);
    const given = sidOf(b.sid);
    if (typeof given === 'string') return bad(given);
    // Without sid: every session streaming to the targets now.
    const bySid = new Map<number, string[]>();
    for (const dev of targets) {
      const sids =
        given !== undefined
          ? [given]
          : deps.commands.sessions.filter((s) => s.device === dev && !s.error).map((s) => s.sid);
      for (const sid of sids) bySid.set(sid, [...(bySid.get(sid) ?? []), dev]);
    }
    if (bySid.size === 0)
      return { status: 404, body: { error: `no running session on ${targets.join(', ')}` } };
    const out: ReturnType<typeof summarize> = [];
    for (const [sid, devs] of bySid)
      out.push(...summarize(await deps.commands.runLocal(command('train.stop', sid, devs, { sid }))));
    return { status: 200, body: { results: out } };
  };

  // POST /samples: {source?, x, y} or {source?, samples: [...]}; `source` may be left out when one live source exists.
  const samples: PostHandler = async (body) => {
    const b = asObject(body);
    if (!b) return bad('body: object expected');
    if (b.source !== undefined && typeof b.source !== 'string') return bad('source: text expected');
    const live = deps.sources.live(b.source as string | undefined);
    if (!live)
      return {
        status: 404,
        body: {
          error:
            b.source === undefined
              ? 'name the live source (source)'
              : `no live source ${JSON.stringify(b.source)}`,
        },
      };
    try {
      const parsed = parseLiveSamples(b, live.config);
      return { status: 202, body: live.push(parsed) };
    } catch (e) {
      if (e instanceof SourceError) return bad(e.message);
      throw e;
    }
  };

  return { '/sessions/start': start, '/sessions/stop': stop, '/samples': samples };
}

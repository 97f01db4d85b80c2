/**
 * `tinyfleet-gateway session start|stop|status`: the local CLI, a client of the running daemon's status
 * server (POST /sessions/start, POST /sessions/stop, GET /sessions; README.md "Local CLI").
 */
import { loadConfig } from '../config/index.js';
import { errorText } from '../errors.js';

export const SESSION_HELP = `Usage: tinyfleet-gateway session start (--device ID ... | --all) [--source NAME] [--sid N]
                                 [--lr X] [--lmin A] [--lmax B] [--batch N] [--steps N]
                                 [--epochs N] [--smax N] [--xs SCALE --xz ZERO_POINT]
       tinyfleet-gateway session stop (--device ID ... | --all) [--sid N]
       tinyfleet-gateway session status
  common: [--url http://127.0.0.1:8090 | --config FILE] [--json]

Talks to the running daemon's status server (from --url, else the status section of --config, else
$TINYFLEET_GATEWAY_URL, else http://127.0.0.1:8090); it answers loopback clients only. A local session
is reported to the cloud like one the cloud started. --device may repeat; --all means every attached
device (start) or every device with a running session (stop). --xs/--xz give the model
input's quantization when the source has float inputs. Exit status: 0 when every device succeeded,
1 when one failed or the daemon is unreachable, 2 on a usage error.
`;

export interface SessionIo {
  out(s: string): void;
  err(s: string): void;
}

const NUMBERS = ['lr', 'lmin', 'lmax', 'batch', 'steps', 'epochs', 'smax', 'xs', 'xz', 'sid'] as const;

interface Parsed {
  action: 'start' | 'stop' | 'status';
  url: string;
  json: boolean;
  body: Record<string, unknown>;
}

function baseUrl(url: string | undefined, config: string | undefined): string {
  if (url) return url.replace(/\/+$/, '');
  if (config) {
    const c = loadConfig(config);
    if (!c.status) throw new Error(`${config}: the status server is disabled (status: null)`);
    const host = c.status.host === '0.0.0.0' || c.status.host === '::' ? '127.0.0.1' : c.status.host;
    return `http://${host.includes(':') ? `[${host}]` : host}:${c.status.port}`;
  }
  return (process.env.TINYFLEET_GATEWAY_URL ?? 'http://127.0.0.1:8090').replace(/\/+$/, '');
}

function parse(argv: readonly string[]): Parsed | string {
  const action = argv[0];
  if (action !== 'start' && action !== 'stop' && action !== 'status')
    return 'session: start, stop or status expected';
  let url: string | undefined;
  let config: string | undefined;
  let json = false;
  const devices: string[] = [];
  const body: Record<string, unknown> = {};
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    const value = () => inline ?? argv[++i];
    const name = flag.replace(/^--/, '');
    if (flag === '--json') json = true;
    else if (flag === '--all') body.all = true;
    else if (flag === '--device' || flag === '-d') {
      const v = value();
      if (!v) return '--device needs an id';
      devices.push(v);
    } else if (flag === '--source') body.source = value();
    else if (flag === '--url') url = value();
    else if (flag === '--config' || flag === '-c') config = value();
    else if ((NUMBERS as readonly string[]).includes(name)) {
      const v = Number(value());
      if (!Number.isFinite(v)) return `${flag} needs a number`;
      body[name] = v;
    } else return `unknown argument ${JSON.stringify(a)}`;
  }
  if (devices.length > 0) body.devices = devices;
  if (action !== 'status' && body.all !== true && devices.length === 0)
    return `session ${action}: --device ID or --all`;
  try {
    return { action, url: baseUrl(url, config), json, body };
  } catch (e) {
    return errorText(e);
  }
}

interface DeviceResult {
  device?: string;
  ok: boolean;
  result?: unknown;
  error?: string;
  text?: string;
}

export async function sessionMain(argv: readonly string[], io: SessionIo): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(SESSION_HELP);
    return 0;
  }
  const p = parse(argv);
  if (typeof p === 'string') {
    io.err(`${p}\n\n${SESSION_HELP}`);
    return 2;
  }
  let status: number;
  let reply: Record<string, unknown>;
  try {
    const res =
      p.action === 'status'
        ? await fetch(`${p.url}/sessions`)
        : await fetch(`${p.url}/sessions/${p.action}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(p.body),
          });
    status = res.status;
    reply = (await res.json()) as Record<string, unknown>;
  } catch (e) {
    io.err(`cannot reach the gateway at ${p.url}: ${errorText(e)}\n`);
    return 1;
  }
  if (p.json) io.out(`${JSON.stringify(reply)}\n`);
  if (status >= 300) {
    if (!p.json) io.err(`${String(reply.error ?? `HTTP ${status}`)}\n`);
    return 1;
  }
  if (p.action === 'status') {
    const sessions = (reply.sessions ?? []) as {
      device: string;
      sid: number;
      source: string;
      progress: { next: number; acked: number };
      error?: string;
    }[];
    if (!p.json) {
      if (sessions.length === 0) io.out('no session\n');
      for (const s of sessions)
        io.out(
          `${s.device}\tsid ${s.sid}\t${s.source}\tsent ${s.progress.next}\tacked ${s.progress.acked}${s.error ? `\tFAILED ${s.error}` : ''}\n`,
        );
    }
    return 0;
  }
  const results = (reply.results ?? []) as DeviceResult[];
  if (!p.json) {
    if (reply.sid !== undefined) io.out(`session ${String(reply.sid)}\n`);
    for (const r of results)
      io.out(
        r.ok
          ? `${r.device ?? '-'}\tok\t${JSON.stringify(r.result ?? null)}\n`
          : `${r.device ?? '-'}\t${r.error ?? 'failed'}\t${r.text ?? ''}\n`,
      );
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

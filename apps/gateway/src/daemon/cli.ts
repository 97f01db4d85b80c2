/** `tinyfleet-gateway --config gateway.json`: the daemon; `session ...`: the local CLI; `--help`, `--version`. */
import { loadConfig } from '../config/index.js';
import { errorText, GatewayError } from '../errors.js';
import { stderrLogger } from '../log/index.js';
import { GATEWAY_VERSION, Gateway } from './gateway.js';
import { SESSION_HELP, sessionMain } from './session-cli.js';

export const HELP = `Usage: tinyfleet-gateway --config FILE
       tinyfleet-gateway session start|stop|status ...   (the local CLI, below)
       tinyfleet-gateway --help | --version

The TinyFleet gateway daemon: attaches microcontrollers over serial ports (PROTOCOL.md §3), registers
them with the cloud (HELLO), relays their messages through a durable store-and-forward outbox over MQTT
(§2), and runs training sessions the cloud or the local CLI starts (GW_COMMAND train.start / train.stop /
train.config), streaming labelled samples from a data source with the device's flow control (§4.3).
Running sessions are recorded in <dataDir>/gateway.db: after a restart (even kill -9) each stream resumes
where its device is (§4.4.8); a device that rebooted meanwhile is reported as failed.
Sources (config sources[], by type): synthetic, mnist, fsdd, csv, png (data sets, split train|test,
seeded order, optional "invert" for images, quantized to the model input's xs/xz), and live (samples
POSTed to /samples on the status server and, with "mqtt": {url, topic, username, password, qos}, the
same JSON bodies published on a topic of a site-local broker; bounded queue, oldest dropped).

Options:
  -c, --config FILE   JSON configuration (see infra/gateway/gateway.example.json)
  -h, --help          this text
  -V, --version       print the version

Logs: one JSON object per line on stderr. Status: GET http://<status.host>:<status.port>/status
(devices, link stats, outbox depth, cloud connection, sessions, sources), /health (200 when connected to
the cloud, else 503), /sessions. Loopback clients only: POST /sessions/start, /sessions/stop, /samples.
Stops cleanly on SIGINT/SIGTERM (GW_STATUS online=false, then DISCONNECT).
See apps/gateway/README.md.

${SESSION_HELP}`;

export interface CliIo {
  out(s: string): void;
  err(s: string): void;
}

const stdio: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export async function main(argv: readonly string[], io: CliIo = stdio): Promise<number> {
  if (argv[0] === 'session') return sessionMain(argv.slice(1), io);
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      io.out(HELP);
      return 0;
    }
    if (a === '-V' || a === '--version') {
      io.out(`${GATEWAY_VERSION}\n`);
      return 0;
    }
    if (a === '-c' || a === '--config') config = argv[++i];
    else if (a?.startsWith('--config=')) config = a.slice('--config='.length);
    else {
      io.err(`unknown argument ${JSON.stringify(a)}\n\n${HELP}`);
      return 2;
    }
  }
  if (!config) {
    io.err(`--config is required\n\n${HELP}`);
    return 2;
  }
  let gw: Gateway;
  try {
    const cfg = loadConfig(config);
    gw = await Gateway.start(cfg, { log: stderrLogger(cfg.logLevel) });
  } catch (e) {
    const code = e instanceof GatewayError ? e.code : 'START_FAILED';
    io.err(
      `${JSON.stringify({ level: 'error', time: new Date().toISOString(), msg: 'cannot start', code, error: errorText(e) })}\n`,
    );
    return 1;
  }
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  await gw.stop();
  return 0;
}

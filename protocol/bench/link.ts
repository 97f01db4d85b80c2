/**
 * Link-layer throughput benchmark (PROTOCOL.md §3) on the emulated UART of `protocol/src/link/sim`.
 *
 * Moves a payload (default 256 KiB, as 4 KiB messages) from one endpoint to the other, for each baud
 * rate and byte error rate, in virtual time, and reports goodput as a fraction of the line rate
 * (baud / 10 bytes per second for 8N1). A final line gives the anchor: the same transfer with an
 * mcumgr/SMP-over-serial style protocol (base64 text frames, stop-and-wait), modelled on the same
 * emulated line. Figures are virtual seconds, so they do not depend on the machine.
 */
import { parseArgs } from 'node:util';
import { LINK_DEFAULTS } from '../src/link/index.js';
import { LinkSim, Prng, Scheduler, UartChannel } from '../src/link/sim/index.js';

const HELP = `Usage: npm run -s bench:link -- [options]

Moves a payload over two TinyFleet link endpoints joined by an emulated UART (virtual time) and reports
goodput / (baud / 10) for every baud x byte error rate, then the mcumgr-smp anchor (base64 text frames,
stop-and-wait, same line model).

Options:
  --json                 one JSON object per line instead of a table
  --baud <list>          comma-separated baud rates            (default 115200,921600)
  --ber <list>           comma-separated byte error rates      (default 0,1e-4)
  --bytes <n>            payload bytes per run                 (default 262144)
  --seed <n>             PRNG seed of the line and the epochs  (default 1)
  --latency-ms <ms>      one-way latency                       (default 2)
  --message-bytes <n>    message size the payload is cut into  (default 4096)
  --frame-payload <n>    max frame payload both sides offer    (default ${LINK_DEFAULTS.maxFramePayload})
  --window <n>           window both sides offer               (default ${LINK_DEFAULTS.window})
  --help                 this text

The anchor is computed for each baud on an error-free line (which favours it).
`;

interface Row {
  baud: number;
  ber: number;
  payload_bytes: number;
  seconds: number;
  goodput_bytes_per_s: number;
  line_rate_fraction: number;
}

interface LinkRun {
  readonly baud: number;
  readonly ber: number;
  readonly bytes: number;
  readonly seed: number;
  readonly latencyMs: number;
  readonly messageBytes: number;
  readonly framePayload: number;
  readonly window: number;
}

function row(baud: number, ber: number, bytes: number, ms: number): Row {
  const seconds = ms / 1000;
  const goodput = bytes / seconds;
  return {
    baud,
    ber,
    payload_bytes: bytes,
    seconds: round(seconds, 6),
    goodput_bytes_per_s: round(goodput, 1),
    line_rate_fraction: round(goodput / (baud / 10), 4),
  };
}

function round(v: number, digits: number): number {
  return Number(v.toFixed(digits));
}

/** The link: connect, queue every message at once, time until the last one is delivered. */
function runLink(r: LinkRun): Row & { retransmissions: number } {
  const o = { maxFramePayload: r.framePayload, window: r.window, maxQueuedBytes: Math.max(r.bytes, 1 << 20) };
  const payload = new Prng(r.seed ^ 0x5eed).bytes(r.bytes);
  const received: Uint8Array[] = [];
  let got = 0;
  let end = 0;
  const sim = new LinkSim({
    seed: r.seed,
    line: { baud: r.baud, latencyMs: r.latencyMs, byteErrorRate: r.ber },
    a: { ...o, maxQueuedMessages: Math.ceil(r.bytes / r.messageBytes) + 1 },
    b: o,
    record: false,
    onEvent: ({ side, atMs, event }) => {
      if (event.type === 'message' && side === 'b') {
        received.push(event.data);
        got += event.data.length;
        end = atMs;
      } else if (event.type !== 'connected') throw new Error(`unexpected ${event.type} event on ${side}`);
    },
  });
  const up = () => sim.link('a').state === 'up' && sim.link('b').state === 'up';
  if (!sim.runUntil(up, 10_000)) throw new Error('link did not come up');
  const start = sim.now;
  for (let at = 0; at < r.bytes; at += r.messageBytes) {
    if (!sim.send('a', payload.subarray(at, Math.min(r.bytes, at + r.messageBytes))))
      throw new Error('queue full');
  }
  if (!sim.runUntil(() => got >= r.bytes, 3_600_000))
    throw new Error(`only ${got} of ${r.bytes} bytes arrived`);
  if (!Buffer.concat(received).equals(payload)) throw new Error('payload corrupted');
  const retransmissions = sim.link('a').stats.retransmissions;
  return { ...row(r.baud, r.ber, r.bytes, end - start), retransmissions };
}

/**
 * The anchor: mcumgr SMP image upload over a serial console, modelled after the SMP console transport
 * (frames of at most 127 bytes: a 2-byte marker, base64 of at most 93 raw bytes, a newline; the packet
 * is a 2-byte length, the SMP message, a CRC16). Each request is an 8-byte SMP header plus a CBOR map
 * {"off": uint, "data": bstr} sized to a 512-byte SMP MTU; the device answers {"rc": 0, "off": uint}
 * and the host sends the next chunk only then (stop-and-wait). No device processing time and no line
 * errors are modelled, which favours the anchor.
 */
function runAnchor(baud: number, latencyMs: number, bytes: number): Row {
  const MTU = 512;
  const uintLen = (v: number) => (v < 24 ? 1 : v < 256 ? 2 : v < 65536 ? 3 : 5);
  const consoleBytes = (smp: number) => {
    const raw = 2 + smp + 2;
    let wire = 0;
    for (let left = raw; left > 0; left -= 93) wire += 2 + 4 * Math.ceil(Math.min(93, left) / 3) + 1;
    return wire;
  };
  const s = new Scheduler();
  const rng = new Prng(1);
  let off = 0;
  let end = 0;
  const request = () => {
    const head = 8 + 1 + 4 + uintLen(off + MTU) + 5;
    const chunk = Math.min(bytes - off, MTU - head - 3);
    const smp = head + uintLen(chunk) + chunk;
    off += chunk;
    toDevice.transmit(new Uint8Array(consoleBytes(smp)).fill(0x41));
  };
  const toHost = new UartChannel(s, { baud, latencyMs }, rng, () => {
    end = s.now;
    if (off < bytes) request();
  });
  const toDevice = new UartChannel(s, { baud, latencyMs }, rng, () => {
    const smp = 8 + 1 + 3 + 1 + 4 + uintLen(off);
    toHost.transmit(new Uint8Array(consoleBytes(smp)).fill(0x41));
  });
  request();
  s.runUntil(Number.POSITIVE_INFINITY);
  return row(baud, 0, bytes, end);
}

function list(s: string): number[] {
  return s.split(',').map((x) => {
    const v = Number(x);
    if (!Number.isFinite(v) || v < 0) throw new Error(`not a number: ${x}`);
    return v;
  });
}

function main(): void {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      baud: { type: 'string', default: '115200,921600' },
      ber: { type: 'string', default: '0,1e-4' },
      bytes: { type: 'string', default: '262144' },
      seed: { type: 'string', default: '1' },
      'latency-ms': { type: 'string', default: '2' },
      'message-bytes': { type: 'string', default: '4096' },
      'frame-payload': { type: 'string', default: String(LINK_DEFAULTS.maxFramePayload) },
      window: { type: 'string', default: String(LINK_DEFAULTS.window) },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const bytes = Number(values.bytes);
  const latencyMs = Number(values['latency-ms']);
  const common = {
    bytes,
    latencyMs,
    seed: Number(values.seed),
    messageBytes: Number(values['message-bytes']),
    framePayload: Number(values['frame-payload']),
    window: Number(values.window),
  };
  const bauds = list(values.baud);
  const rows: (Row & { retransmissions: number })[] = [];
  for (const baud of bauds) for (const ber of list(values.ber)) rows.push(runLink({ ...common, baud, ber }));
  const anchors = bauds.map((baud) => ({ anchor: 'mcumgr-smp', ...runAnchor(baud, latencyMs, bytes) }));
  if (values.json) {
    for (const { retransmissions: _, ...r } of rows) console.log(JSON.stringify(r));
    for (const a of anchors) console.log(JSON.stringify(a));
    return;
  }
  const head = ['', 'baud', 'ber', 'bytes', 'seconds', 'goodput B/s', 'line rate', 'rtx frames'];
  const lines = [
    ...rows.map((r) => [
      'link',
      r.baud,
      r.ber,
      r.payload_bytes,
      r.seconds,
      r.goodput_bytes_per_s,
      r.line_rate_fraction,
      r.retransmissions,
    ]),
    ...anchors.map((a) => [
      a.anchor,
      a.baud,
      a.ber,
      a.payload_bytes,
      a.seconds,
      a.goodput_bytes_per_s,
      a.line_rate_fraction,
      '',
    ]),
  ].map((l) => l.map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (l: string[]) => l.map((c, i) => c.padStart(widths[i]!)).join('  ');
  console.log(
    `latency ${latencyMs} ms one way, frame payload ${common.framePayload}, window ${common.window}`,
  );
  console.log(fmt(head));
  for (const l of lines) console.log(fmt(l));
}

main();

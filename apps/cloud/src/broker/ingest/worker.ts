/**
 * The ingest worker thread (see ./offload.ts): an `Ingestor` over its own connection to the cloud's
 * SQLite file. It validates each message, claims its id in the ledger and stores it, one transaction per
 * event-loop turn (PROTOCOL.md §2.5 item 2), and answers each batch of the main thread after the
 * transaction holding it has committed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeMessage } from '@tinyfleet/protocol/messages';
import { LiveBus, type LiveEvent, Store } from '../../store/index.js';
import { Ingestor } from './ingestor.js';
import {
  type FromWorker,
  ITEM_INTS,
  STATUS_CODES,
  type ToWorker,
  type WireAnswer,
  type WorkerInit,
} from './offload.js';

const port = parentPort;
if (!port) throw new Error('the ingest worker must run in a worker thread');
const init = (workerData as { init: WorkerInit }).init;
const send = (m: FromWorker) => port.postMessage(m);

const store = Store.open(init.file);
const bus = new LiveBus();
let live: LiveEvent[] = [];
/** Subscribed only while the main thread wants live events: without a listener none are built. */
let unsubscribe: (() => void) | undefined;
const wantLive = (on: boolean) => {
  if (on && !unsubscribe) unsubscribe = bus.subscribe((e) => live.push(e));
  else if (!on && unsubscribe) {
    unsubscribe();
    unsubscribe = undefined;
  }
};
const ingestor = new Ingestor({
  store,
  bus,
  // GRAD_UPDATE goes through the Ingestor's one-pass decoder first (./grad-fast.ts); this is the rest.
  decode: (b) => decodeMessage(b),
  maxBatch: init.maxBatch,
  offload: false,
  log: (level, msg, err) =>
    send({
      t: 'log',
      level,
      msg,
      ...(err !== undefined && { err: err instanceof Error ? err.message : String(err) }),
    }),
});

/** Batches fully answered, sent together once the current turn (a flush of the ingestor) is over. */
let answers: WireAnswer[] = [];
const sendAnswers = () => {
  // The live events gathered so far belong to committed messages; they travel with these answers.
  send({ t: 'done', answers, live });
  answers = [];
  live = [];
};

function batch(m: Extract<ToWorker, { t: 'batch' }>): void {
  wantLive(m.live);
  const n = m.items.length / ITEM_INTS;
  const answer: WireAnswer = { seq: m.seq, codes: new Uint8Array(n), notes: [] };
  const { codes, notes } = answer;
  let left = n;
  const finish = () => {
    if (answers.length === 0) setImmediate(sendAnswers);
    answers.push(answer);
  };
  for (let i = 0; i < n; i++) {
    const at = i * ITEM_INTS;
    const gatewayId = m.strings[m.items[at] as number] as string;
    const topic = m.strings[m.items[at + 1] as number] as string;
    const payload = Buffer.from(m.buf, m.items[at + 2], m.items[at + 3]);
    ingestor.submit(gatewayId, topic, payload, (r) => {
      codes[i] = STATUS_CODES.indexOf(r.status);
      if (r.status === 'rejected') notes.push([i, r.code, r.reason]);
      else if (r.status === 'failed') notes.push([i, '', r.reason]);
      if (--left === 0) finish();
    });
  }
  if (n === 0) finish();
}

async function close(): Promise<void> {
  await ingestor.drain();
  store.close();
  process.exit(0);
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'batch') batch(m);
  else void close();
});
send({ t: 'ready' });

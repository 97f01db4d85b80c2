import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import { type BlockData, BlockReceiver, type BlockRequest } from './block-receiver.js';
import { answerBlockRequest } from './block-sender.js';
import { BlockBitmap, objectIdOf, sliceBlock } from './blocks.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

/** Small deterministic PRNG (mulberry32) so a failing fast-check seed replays exactly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Net {
  readonly loss: number;
  readonly dup: number;
  readonly maxDelay: number;
  readonly seed: number;
}

/** What the receiver's owner keeps on disk (PROTOCOL.md §2.7 step 5): the blocks, then the bitmap. */
interface Disk {
  data: Uint8Array;
  bitmap: Uint8Array;
}

/**
 * Run a transfer over a lossy, duplicating, reordering network until the receiver completes, fails, or
 * has stored `stopAfter` new blocks (a crash). The sender serves `served` (normally the object itself).
 */
function run(rx: BlockReceiver, served: Uint8Array, net: Net, disk: Disk, stopAfter = Infinity): number {
  const rand = prng(net.seed);
  type Ev = { at: number; req?: BlockRequest; data?: BlockData };
  const queue: Ev[] = [];
  let now = 0;
  let stored = 0;
  const send = (ev: Omit<Ev, 'at'>): void => {
    if (rand() < net.loss) return;
    const copies = rand() < net.dup ? 2 : 1;
    for (let c = 0; c < copies; c++) queue.push({ ...ev, at: now + 1 + Math.floor(rand() * net.maxDelay) });
  };
  for (let steps = 0; rx.state === 'receiving' && stored < stopAfter; steps++) {
    if (steps > 200_000) throw new Error('simulation did not end');
    const req = rx.poll(now);
    if (req) send({ req });
    if (rx.state !== 'receiving') break;
    queue.sort((a, b) => a.at - b.at);
    const deadline = rx.nextDeadline() ?? Number.POSITIVE_INFINITY;
    const next = queue[0];
    if (!next && deadline === Number.POSITIVE_INFINITY) throw new Error('stuck: nothing in flight');
    if (next && next.at <= deadline) {
      queue.shift();
      now = Math.max(now, next.at);
      if (next.req) {
        const blocks = answerBlockRequest(served, rx.objectId, next.req, { blockSize: rx.blockSize });
        for (const data of blocks) send({ data });
      } else if (next.data) {
        const r = rx.accept(next.data);
        if (r.status === 'stored') {
          disk.data.set(r.data, r.offset);
          disk.bitmap = rx.bitmapBytes();
          stored++;
        }
      }
    } else {
      now = deadline;
    }
  }
  return stored;
}

const netArb = fc.record({
  loss: fc.double({ min: 0, max: 0.4, noNaN: true }),
  dup: fc.double({ min: 0, max: 0.3, noNaN: true }),
  maxDelay: fc.integer({ min: 0, max: 80 }),
  seed: fc.nat(),
});
// Objects of any length up to 4000 bytes (fast-check's default size would keep arrays tiny).
const objArb = fc.tuple(fc.integer({ min: 1, max: 4000 }), fc.nat()).map(([len, seed]) => {
  const rand = prng(seed);
  return Uint8Array.from({ length: len }, () => Math.floor(rand() * 256));
});
const bsArb = fc.integer({ min: 16, max: 256 });
const windowArb = fc.integer({ min: 1, max: P.BLOCK_MAX_BURST });

function receiver(obj: Uint8Array, blockSize: number, window: number, resume?: Disk): BlockReceiver {
  const opts = {
    objectId: objectIdOf(obj),
    size: obj.length,
    blockSize,
    window,
    timeoutMs: 100,
    maxRetries: 200,
  };
  return new BlockReceiver(resume ? { ...opts, resume } : opts);
}

function emptyDisk(size: number, blockSize: number): Disk {
  return { data: new Uint8Array(size), bitmap: new BlockBitmap(Math.ceil(size / blockSize)).toBytes() };
}

describe('block transfer (PROTOCOL.md §2.7)', () => {
  it('completes with the right bytes under loss, duplication and reordering', () => {
    fc.assert(
      fc.property(objArb, bsArb, windowArb, netArb, (obj, bs, window, net) => {
        const rx = receiver(obj, bs, window);
        run(rx, obj, net, emptyDisk(obj.length, bs));
        expect(rx.state).toBe('complete');
        expect(Buffer.from(rx.object()).equals(Buffer.from(obj))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('resumes after a crash from the saved bitmap and blocks, requesting only what is missing', () => {
    fc.assert(
      fc.property(objArb, bsArb, windowArb, netArb, fc.nat(), (obj, bs, window, net, cut) => {
        const disk = emptyDisk(obj.length, bs);
        const total = Math.ceil(obj.length / bs);
        run(receiver(obj, bs, window), obj, net, disk, cut % (total + 1));
        const saved = BlockBitmap.fromBytes(disk.bitmap, total);
        const rx = receiver(obj, bs, window, disk);
        expect(rx.received).toBe(saved.setCount);
        if (saved.complete) {
          expect(rx.state).toBe('complete');
        } else {
          const first = rx.poll(0);
          expect(first?.indices.every((i) => !saved.has(i))).toBe(true);
          rx.forgetInFlight();
          run(rx, obj, { ...net, seed: net.seed + 1 }, disk);
        }
        expect(rx.state).toBe('complete');
        expect(Buffer.from(rx.object()).equals(Buffer.from(obj))).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects an object whose bytes do not match its sha256', () => {
    fc.assert(
      fc.property(objArb, bsArb, netArb, fc.nat(), (obj, bs, net, at) => {
        const bad = obj.slice();
        const i = at % bad.length;
        bad[i] = (bad[i] ?? 0) ^ 0x5a;
        const rx = receiver(obj, bs, P.BLOCK_MAX_BURST);
        run(rx, bad, net, emptyDisk(obj.length, bs));
        expect(rx.state).toBe('failed');
        expect(rx.error?.code).toBe('SHA_MISMATCH');
        expect(codeOf(() => rx.object())).toBe('BAD_STATE');
        expect(rx.poll(1e9)).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });
});

describe('BlockReceiver details (PROTOCOL.md §2.7)', () => {
  const obj = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff);
  const id = objectIdOf(obj);
  const mk = (extra = {}): BlockReceiver =>
    new BlockReceiver({ objectId: id, size: obj.length, blockSize: 100, window: 4, timeoutMs: 50, ...extra });
  const block = (index: number, data = sliceBlock(obj, index, 100)): BlockData => ({
    objectId: id,
    index,
    total: 10,
    data,
  });

  it('keeps at most `window` blocks in flight and refills at half the window', () => {
    const rx = mk();
    const r1 = rx.poll(0);
    expect(r1?.indices).toEqual([0, 1, 2, 3]);
    expect([...(r1?.wanted ?? [])]).toEqual([0x0f, 0x00]);
    expect(r1).toMatchObject({ objectId: id, size: 1000, blockSize: 100 });
    expect(rx.poll(1)).toBeUndefined();
    rx.accept(block(0));
    expect(rx.poll(2)).toBeUndefined(); // 3 in flight > 4/2
    rx.accept(block(2));
    expect(rx.poll(3)?.indices).toEqual([4, 5]); // 1 and 3 are still in flight
    expect(rx.nextDeadline()).toBe(50);
  });

  it('re-requests after a timeout and fails after too many timeouts without progress', () => {
    const rx = mk({ maxRetries: 2 });
    rx.poll(0);
    expect(rx.poll(49)).toBeUndefined();
    expect(rx.poll(50)?.indices).toEqual([0, 1, 2, 3]); // retry 1
    rx.accept(block(1)); // progress resets the count
    expect(rx.poll(100)?.indices).toEqual([0, 2, 3, 4]); // retry 1 again
    expect(rx.poll(150)?.indices).toEqual([0, 2, 3, 4]); // retry 2
    expect(rx.poll(200)).toBeUndefined(); // retry 3 > 2
    expect(rx.state).toBe('failed');
    expect(rx.error?.code).toBe('TIMEOUT');
    expect(codeOf(() => rx.accept(block(0)))).toBe('BAD_STATE');
  });

  it('forgets in-flight blocks on reconnect without counting a retry', () => {
    const rx = mk({ maxRetries: 0 });
    rx.poll(0);
    rx.forgetInFlight();
    expect(rx.nextDeadline()).toBeUndefined();
    expect(rx.poll(10)?.indices).toEqual([0, 1, 2, 3]);
    expect(rx.state).toBe('receiving');
  });

  it('rejects bad blocks without changing state; duplicates are harmless', () => {
    const rx = mk();
    expect(rx.accept(block(9)).status).toBe('stored'); // the short last block, 100 bytes here too
    expect(rx.accept(block(9)).status).toBe('duplicate');
    expect(codeOf(() => rx.accept(block(10)))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => rx.accept(block(-1)))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => rx.accept(block(1.5, new Uint8Array(100))))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => rx.accept(block(3, new Uint8Array(99))))).toBe('BAD_FIELD');
    expect(codeOf(() => rx.accept(block(3, new Uint8Array(101))))).toBe('BAD_FIELD');
    expect(codeOf(() => rx.accept({ ...block(3), total: 11 }))).toBe('BAD_FIELD');
    expect(codeOf(() => rx.accept({ ...block(3), objectId: '0'.repeat(64) }))).toBe('BAD_FIELD');
    expect(rx.received).toBe(1);
    for (let i = 0; i < 9; i++) rx.accept(block(i));
    expect(rx.state).toBe('complete');
    expect(rx.accept(block(4)).status).toBe('duplicate'); // late QoS 1 redelivery
    expect(rx.poll(1e9)).toBeUndefined();
  });

  it('sizes the last block as the rest of the object', () => {
    const small = obj.subarray(0, 950);
    const rx = new BlockReceiver({ objectId: objectIdOf(small), size: 950, blockSize: 100 });
    expect(rx.total).toBe(10);
    const last = { objectId: rx.objectId, index: 9, total: 10, data: small.subarray(900) };
    expect(rx.accept(last).status).toBe('stored');
    expect(codeOf(() => rx.accept({ ...last, index: 8 }))).toBe('BAD_FIELD');
  });

  it('validates options and saved state', () => {
    expect(codeOf(() => mk({ objectId: 'ABC' }))).toBe('BAD_FIELD');
    expect(codeOf(() => mk({ objectId: id.toUpperCase() }))).toBe('BAD_FIELD');
    expect(codeOf(() => mk({ size: 0 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => mk({ window: 0 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => mk({ window: P.BLOCK_MAX_BURST + 1 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => mk({ timeoutMs: 0 }))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => mk({ maxRetries: -1 }))).toBe('OUT_OF_RANGE');
    const data = new Uint8Array(1000);
    expect(codeOf(() => mk({ resume: { bitmap: new Uint8Array(1), data } }))).toBe('TRUNCATED');
    expect(codeOf(() => mk({ resume: { bitmap: new Uint8Array(3), data } }))).toBe('TOO_LARGE');
    expect(codeOf(() => mk({ resume: { bitmap: new Uint8Array([0, 4]), data } }))).toBe('BAD_FIELD');
    expect(codeOf(() => mk({ resume: { bitmap: new Uint8Array(2), data: new Uint8Array(999) } }))).toBe(
      'BAD_FIELD',
    );
    // A complete saved bitmap is verified at once.
    const full = new Uint8Array([0xff, 0x03]);
    expect(mk({ resume: { bitmap: full, data: obj } }).state).toBe('complete');
    const rotten = mk({ resume: { bitmap: full, data } });
    expect(rotten.state).toBe('failed');
    expect(rotten.error?.code).toBe('SHA_MISMATCH');
  });
});

describe('answerBlockRequest (PROTOCOL.md §2.7 step 4)', () => {
  const obj = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
  const id = objectIdOf(obj);
  const req = (wanted: Uint8Array, extra = {}) => ({
    objectId: id,
    size: 1000,
    blockSize: 100,
    wanted,
    ...extra,
  });
  const ask = (r: ReturnType<typeof req>) => answerBlockRequest(obj, id, r, { blockSize: 100, maxBurst: 4 });

  it('answers the wanted blocks in ascending order', () => {
    const out = ask(req(BlockBitmap.fromIndices(10, [9, 2]).toBytes()));
    expect(out.map((b) => [b.index, b.total, b.data.length])).toEqual([
      [2, 10, 100],
      [9, 10, 100],
    ]);
    expect(out[0]?.data).toEqual(obj.subarray(200, 300));
    expect(out[0]?.objectId).toBe(id);
  });

  it('rejects requests that do not fit the object or the limits', () => {
    const two = BlockBitmap.fromIndices(10, [1, 2]).toBytes();
    expect(codeOf(() => ask(req(two, { objectId: '0'.repeat(64) })))).toBe('BAD_FIELD');
    expect(codeOf(() => ask(req(two, { size: 999 })))).toBe('BAD_FIELD');
    expect(codeOf(() => ask(req(two, { blockSize: 50 })))).toBe('BAD_FIELD');
    expect(codeOf(() => ask(req(new Uint8Array(2))))).toBe('BAD_FIELD');
    expect(codeOf(() => ask(req(new Uint8Array(1))))).toBe('TRUNCATED');
    expect(codeOf(() => ask(req(new Uint8Array([0xff, 0x00, 0x00]))))).toBe('TOO_LARGE');
    expect(codeOf(() => ask(req(new Uint8Array([0x1f, 0x00]))))).toBe('TOO_LARGE'); // 5 > maxBurst 4
    expect(codeOf(() => ask(req(new Uint8Array([0x00, 0x04]))))).toBe('BAD_FIELD'); // bit 10 of 10 blocks
  });

  it('defaults to the protocol block size and burst', () => {
    const big = new Uint8Array(P.OTA_BLOCK_BYTES * 20);
    const bigId = objectIdOf(big);
    const all = BlockBitmap.fromIndices(
      20,
      Array.from({ length: 17 }, (_, i) => i),
    ).toBytes();
    const r = { objectId: bigId, size: big.length, blockSize: P.OTA_BLOCK_BYTES, wanted: all };
    expect(codeOf(() => answerBlockRequest(big, bigId, r))).toBe('TOO_LARGE');
    const ok = BlockBitmap.fromIndices(20, [19]).toBytes();
    expect(answerBlockRequest(big, bigId, { ...r, wanted: ok })[0]?.data.length).toBe(P.OTA_BLOCK_BYTES);
  });
});

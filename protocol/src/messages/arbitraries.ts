/**
 * fast-check generators of valid messages, derived from the declarations (test helper; not exported by
 * the package). Field generators follow each kind's parameters; `FIX` repairs the cross-field rules of
 * the few types that have them, so every generated message is valid by construction.
 */
import fc from 'fast-check';
import { P } from '../constants/index.js';
import type { Message } from './catalog.js';
import { CATALOG } from './catalog.js';
import { shapeSize } from './define.js';
import type { Fields, Kind } from './fields.js';
import { deviceMessageId } from './ids.js';
import { bitmapBytes } from './schemas/ota.js';
import type { Value } from './value.js';

type Obj = Record<string, unknown>;

const utf8 = new TextEncoder();
const byteLength = (s: string) => utf8.encode(s).length;

function int(min: number, max: number): fc.Arbitrary<number> {
  if (max <= 0x7fff_ffff) return fc.integer({ min, max });
  return fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);
}

const value: fc.Arbitrary<Value> = fc.letrec<{ v: Value }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
    fc.string({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('v'), { maxKeys: 4 }),
  ),
})).v;

/** A generator of the values of one kind. */
export function arbitraryOf(kind: Kind<unknown>): fc.Arbitrary<unknown> {
  const i = kind.info;
  switch (i.k) {
    case 'uint':
      return int(i.min, i.max);
    case 'f32': {
      const min = Math.fround(i.min ?? -3.4028234663852886e38);
      const max = Math.fround(i.max ?? 3.4028234663852886e38);
      const f = fc.float({ min, max, noNaN: true, noDefaultInfinity: true });
      return i.aboveMin ? f.filter((x) => x > min) : f;
    }
    case 'bool':
      return fc.boolean();
    case 'text': {
      const base = i.pattern ? fc.stringMatching(i.pattern) : fc.string({ unit: 'grapheme', maxLength: 40 });
      return base.filter((s) => byteLength(s) >= i.min && byteLength(s) <= i.max);
    }
    case 'bytes':
      return fc.uint8Array({ minLength: i.min, maxLength: Math.min(i.max, 64) });
    case 'u16s':
      return fc
        .array(fc.integer({ min: 0, max: 0xffff }), { minLength: i.min, maxLength: Math.min(i.max, 16) })
        .map((a) => Uint16Array.from(a));
    case 'list':
      return fc.array(arbitraryOf(i.of), { minLength: i.min, maxLength: Math.min(i.max, 8) });
    case 'enum':
      return fc.constantFrom(...i.names);
    case 'record':
      return arbitraryFields(i.fields);
    case 'hex':
      return fc
        .uint8Array({ minLength: i.bytes, maxLength: i.bytes })
        .map((b) => Buffer.from(b).toString('hex'));
    case 'any':
      return value;
    case 'anyMap':
      return fc.dictionary(fc.string({ maxLength: 6 }), value, { maxKeys: 4 });
  }
}

function arbitraryFields(fields: Fields): fc.Arbitrary<Obj> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const [prop, f] of Object.entries(fields)) {
    model[prop] = arbitraryOf(f.kind);
    if (f.required) required.push(prop);
  }
  return fc.record(model, { requiredKeys: required });
}

const ascendingUnique = (a: readonly number[]) => [...new Set(a)].sort((x, y) => x - y);
const drop = (m: Obj, ...keys: string[]) => {
  for (const k of keys) delete m[k];
};

/** Repairs cross-field rules; `r` is extra randomness in [0, 1). */
const FIX: Partial<Record<Message['type'], (m: Obj, r: number) => void>> = {
  HELLO(m, r) {
    m.id = deviceMessageId(m.bootCounter as number, Math.floor(r * 1000));
    m.opKinds = ascendingUnique(m.opKinds as number[]);
    if (m.modelSha256 === undefined) drop(m, 'modelVersion', 'activeSlot');
    else {
      m.modelVersion ??= 1;
      m.activeSlot ??= 0;
    }
  },
  SAMPLE_BATCH(m, r) {
    const shape = (m.shape as number[]).map((d) => 1 + (d % 4));
    shape[0] = 1 + Math.floor(r * P.MESSAGE_MAX_BATCH_SAMPLES);
    m.shape = shape;
    m.x = new Uint8Array(shapeSize(shape)).fill(Math.floor(r * 256));
    m.labels = new Uint8Array(shape[0]).fill(3);
    m.firstSeq = Math.min(m.firstSeq as number, 2 ** 32 - shape[0]);
  },
  INFER_REQUEST(m) {
    const shape = (m.shape as number[]).map((d) => 1 + (d % 5));
    shape[0] = 1;
    m.shape = shape;
    m.x = new Uint8Array(shapeSize(shape)).fill(7);
  },
  OTA_TEST_BOOT(m) {
    if (m.x === undefined) drop(m, 'shape', 'inputScale', 'inputZeroPoint', 'outputSha256');
    else {
      m.shape = [1, 2, 3];
      m.x = new Uint8Array(6);
      m.inputScale ??= 1;
      m.inputZeroPoint ??= 0;
      m.outputSha256 ??= new Uint8Array(32);
    }
  },
  INFER_RESULT(m) {
    if (m.y === undefined) drop(m, 'outputScale', 'outputZeroPoint');
    else {
      m.outputScale ??= 0.5;
      m.outputZeroPoint ??= 0;
      m.classIndex = (m.classIndex as number) % (m.y as Uint8Array).length;
    }
  },
  TRAIN_START(m) {
    if (m.trainableOps) m.trainableOps = ascendingUnique(m.trainableOps as number[]);
    FIX.TRAIN_CONFIG!(m, 0);
  },
  TRAIN_CONFIG(m) {
    if (
      m.lambdaMin !== undefined &&
      m.lambdaMax !== undefined &&
      (m.lambdaMin as number) > (m.lambdaMax as number)
    ) {
      [m.lambdaMin, m.lambdaMax] = [m.lambdaMax, m.lambdaMin];
    }
  },
  TRAIN_STATUS(m) {
    if (m.state === 'FAILED') m.error ??= 21;
    else drop(m, 'error');
  },
  GRAD_UPDATE(m) {
    const n = m.structures as number;
    const idx = ascendingUnique([...(m.indices as Uint16Array)].map((i) => i % n));
    m.indices = Uint16Array.from(idx);
    m.elements = 1 + ((m.elements as number) % 8);
    m.values = new Uint8Array(idx.length * (m.elements as number)).fill(200);
  },
  OTA_OFFER(m) {
    m.blocks = Math.ceil((m.size as number) / (m.blockSize as number));
  },
  OTA_STATUS(m, r) {
    if (m.state !== 'IDLE') m.sha256 ??= new Uint8Array(32);
    if (m.state === 'FAILED') m.error ??= 13;
    if (m.state === 'RECEIVING' || m.blocks !== undefined || m.have !== undefined) {
      const nb = 1 + Math.floor(r * 40);
      m.blocks = nb;
      const have = new Uint8Array(bitmapBytes(nb)).fill(0xff);
      if (nb % 8) have[have.length - 1] = (1 << (nb % 8)) - 1;
      m.have = have;
    }
  },
  GW_STATUS(m) {
    if (m.online) {
      m.uptimeMs ??= 0;
      m.outbox ??= 0;
      m.devices ??= [];
    }
  },
  GW_COMMAND_RESULT(m) {
    if (m.ok) drop(m, 'error');
    else m.error ??= 5;
  },
  BLOCK_REQUEST(m, r) {
    m.blockSize = Math.min(
      P.OTA_BLOCK_BYTES,
      Math.max(m.blockSize as number, Math.ceil((m.size as number) / 16384)),
    );
    const nb = Math.ceil((m.size as number) / (m.blockSize as number));
    const want = new Uint8Array(bitmapBytes(nb));
    const i = Math.floor(r * nb);
    want[i >> 3] = 1 << (i & 7);
    m.wanted = want;
  },
  BLOCK_DATA(m) {
    m.index = (m.index as number) % (m.total as number);
  },
};

const envelopeArb = fc.record(
  {
    id: fc.uint8Array({ minLength: P.MESSAGE_ID_MIN_BYTES, maxLength: P.MESSAGE_ID_MAX_BYTES }),
    ts: fc.maxSafeNat(),
    re: fc.uint8Array({ minLength: P.MESSAGE_ID_MIN_BYTES, maxLength: P.MESSAGE_ID_MAX_BYTES }),
  },
  { requiredKeys: ['id'] },
);

/** Valid messages of one type. */
export function arbitraryMessageOf(type: Message['type']): fc.Arbitrary<Message> {
  const def = CATALOG.find((d) => d.type === type)!;
  return fc
    .tuple(
      envelopeArb,
      arbitraryFields(def.fields),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    )
    .map(([env, body, r]) => {
      const m: Obj = { type, ...env, ...body };
      if (def.re === 'required') m.re ??= new Uint8Array(8);
      if (def.ts === 'required') m.ts ??= 0;
      FIX[type]?.(m, r);
      return m as unknown as Message;
    });
}

/** Valid messages of any type. */
export const arbitraryMessage: fc.Arbitrary<Message> = fc.oneof(
  ...CATALOG.map((d) => arbitraryMessageOf(d.type)),
);

/**
 * Hand-assembled golden vectors of the message catalog (PROTOCOL.md §4.1, §7): valid bytes the encoder
 * never writes (decoders MUST accept them) and invalid bytes (decoders MUST reject them with the code
 * given). Written with the CBOR builder, independent of cbor-x and of the reader.
 */
import { type ErrorCodeName, MsgType, type MsgTypeName, P } from '../constants/index.js';
import { type Bytes, C, cat } from './cbor/build.js';

export interface ValidCborVector {
  readonly name: string;
  readonly type: MsgTypeName;
  readonly bytes: Uint8Array;
  /** The CBOR data model of `bytes` in the §7.2 JSON convention. */
  readonly json: unknown;
}

export interface InvalidCborVector {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly error: ErrorCodeName;
}

const hex = (b: Bytes) => ({ $hex: Buffer.from(Uint8Array.from(b)).toString('hex') });

const DEV_ID = [7, 0, 0, 0, 0xe8, 3, 0, 0]; // boot 7, message 1000
const SHA = Array.from({ length: 32 }, (_, i) => (i * 7 + 1) & 0xff);
type Pair = readonly [string | Bytes, Bytes];

/** An envelope map of type `t` with the given body pairs. */
const msg = (t: MsgTypeName, ...body: Pair[]) =>
  C.map(['v', C.uint(1)], ['t', C.uint(MsgType[t])], ['id', C.bstr(DEV_ID)], ...body);
const log = (...extra: Pair[]) => msg('LOG', ['lvl', C.uint(3)], ['msg', C.tstr('x')], ...extra);
const grad = (idx: Bytes, q: Bytes = C.bstr([1, 2, 3, 4])) =>
  msg(
    'GRAD_UPDATE',
    ['sid', C.uint(1)],
    ['step', C.uint(1)],
    ['layer', C.uint(2)],
    ['kind', C.uint(2)],
    ['n', C.uint(16)],
    ['nst', C.uint(8)],
    ['es', C.uint(2)],
    ['idx', idx],
    ['q', q],
    ['qs', C.f32(0.5)],
    ['qz', C.uint(128)],
  );
const metrics = (loss: Bytes, acc: Bytes) =>
  msg(
    'TRAIN_METRICS',
    ['sid', C.uint(1)],
    ['step', C.uint(1)],
    ['n', C.uint(16)],
    ['loss', loss],
    ['acc', acc],
    ['ur', C.f32(0.5)],
    ['cyc', C.uint(1000)],
    ['mem', C.uint(2048)],
    ['us', C.uint(10)],
  );
const nested = (depth: number): Uint8Array => (depth === 0 ? C.uint(0) : C.array(nested(depth - 1)));

const hx = hex;
const ENV_JSON = (t: MsgTypeName) => ({ v: 1, t: MsgType[t], id: hx(DEV_ID) });

/** Valid bytes the encoder never writes: decoders MUST accept them (PROTOCOL.md §4.1.2, §4.1.3). */
export function handValidVectors(): ValidCborVector[] {
  const f16Lr = 0x1419; // float16 0.0010004
  return [
    {
      name: 'log-unknown-keys',
      type: 'LOG',
      bytes: log(
        [
          'zz',
          C.map(
            ['nested', C.array(C.uint(1), C.bstr([0]), C.f32(2.5), C.null)],
            ['t85', C.tag(85, C.bstr([0, 0, 0x80, 0x3f]))],
          ),
        ],
        ['x-ext', C.tstr('ignored')],
      ),
      json: {
        ...ENV_JSON('LOG'),
        lvl: 3,
        msg: 'x',
        zz: { nested: [1, hx([0]), 2.5, null], t85: { $tag: 85, value: hx([0, 0, 0x80, 0x3f]) } },
        'x-ext': 'ignored',
      },
    },
    {
      name: 'train-config-float-widths',
      type: 'TRAIN_CONFIG',
      bytes: msg(
        'TRAIN_CONFIG',
        ['sid', C.uint(9)],
        ['lr', C.f16(f16Lr)],
        ['lmin', C.uint(0)],
        ['lmax', C.f64(0.75)],
        ['ea', C.f64(0.1)],
        ['ew', C.uint(1)],
      ),
      json: {
        ...ENV_JSON('TRAIN_CONFIG'),
        sid: 9,
        lr: 1049 / 2 ** 20, // float16 0x1419 = (1 + 25/1024) * 2^-10, exactly
        lmin: 0,
        lmax: 0.75,
        ea: 0.1,
        ew: 1,
      },
    },
    {
      name: 'sample-credit-any-order-wide-ints',
      type: 'SAMPLE_CREDIT',
      bytes: C.map(
        ['cr', C.uint(30, 8)],
        ['next', C.uint(130, 4)],
        ['sid', C.uint(42, 2)],
        ['id', C.bstr(DEV_ID)],
        ['t', C.uint(MsgType.SAMPLE_CREDIT, 1)],
        ['v', C.uint(1, 8)],
      ),
      json: { ...ENV_JSON('SAMPLE_CREDIT'), cr: 30, next: 130, sid: 42 },
    },
  ];
}

/** Bytes every decoder MUST reject, with the code it MUST report (PROTOCOL.md §4.1.7). */
export function handInvalidVectors(): InvalidCborVector[] {
  const v = (name: string, error: ErrorCodeName, ...parts: Bytes[]): InvalidCborVector => ({
    name,
    error,
    bytes: cat(...parts),
  });
  const good = log();
  return [
    // CBOR structure (§4.1.2)
    v('empty', 'TRUNCATED'),
    v('truncated', 'TRUNCATED', good.subarray(0, good.length - 1)),
    v(
      'truncated-length',
      'TRUNCATED',
      msg('LOG', ['lvl', C.uint(3)], ['msg', [0x7a, 0xff, 0xff, 0xff, 0xff, 0x41]]),
    ),
    v('trailing-byte', 'MALFORMED', good, [0x00]),
    v('two-messages', 'MALFORMED', good, good),
    v('not-a-map', 'MALFORMED', C.array(C.uint(1), C.uint(4))),
    v('indefinite-map', 'MALFORMED', [0xbf], C.tstr('v'), C.uint(1), [0xff]),
    v('indefinite-text', 'MALFORMED', msg('LOG', ['lvl', C.uint(3)], ['msg', [0x7f, 0x61, 0x78, 0xff]])),
    v('reserved-additional-info', 'MALFORMED', log(['zz', [0x1c]])),
    v('lone-break', 'MALFORMED', log(['zz', [0xff]])),
    v('duplicate-key', 'MALFORMED', log(['lvl', C.uint(2)])),
    v('integer-key', 'MALFORMED', log([C.uint(1), C.uint(2)])),
    v('invalid-utf8', 'MALFORMED', msg('LOG', ['lvl', C.uint(3)], ['msg', C.bstrText([0xc3, 0x28])])),
    v('tag-not-allowed', 'MALFORMED', log(['ts', C.tag(1, C.uint(1_700_000_000))])),
    v('tag-64-not-allowed', 'MALFORMED', grad(C.tag(64, C.bstr([0, 1])))),
    v('typed-array-not-bstr', 'MALFORMED', grad(C.tag(69, C.array(C.uint(0), C.uint(1))))),
    v('typed-array-odd-length', 'MALFORMED', grad(C.tag(69, C.bstr([0, 0, 1])))),
    v('too-deep', 'MALFORMED', log(['zz', nested(P.MESSAGE_MAX_DEPTH)])),
    v('undefined-value', 'MALFORMED', log(['zz', C.undefined])),
    v('simple-value', 'MALFORMED', log(['zz', [0xf0]])),
    // envelope (§4.1.1)
    v('version-2', 'UNSUPPORTED_VERSION', C.map(['v', C.uint(2)], ['t', C.uint(4)], ['id', C.bstr(DEV_ID)])),
    v(
      'version-missing',
      'BAD_FIELD',
      C.map(['t', C.uint(4)], ['id', C.bstr(DEV_ID)], ['lvl', C.uint(3)], ['msg', C.tstr('x')]),
    ),
    v('type-unknown', 'UNKNOWN_TYPE', C.map(['v', C.uint(1)], ['t', C.uint(0x7f)], ['id', C.bstr(DEV_ID)])),
    v('type-as-text', 'BAD_FIELD', C.map(['v', C.uint(1)], ['t', C.tstr('LOG')], ['id', C.bstr(DEV_ID)])),
    v(
      'id-missing',
      'BAD_FIELD',
      C.map(['v', C.uint(1)], ['t', C.uint(4)], ['lvl', C.uint(3)], ['msg', C.tstr('x')]),
    ),
    v(
      'id-too-short',
      'OUT_OF_RANGE',
      C.map(
        ['v', C.uint(1)],
        ['t', C.uint(4)],
        ['id', C.bstr([1, 2, 3, 4, 5, 6, 7])],
        ['lvl', C.uint(3)],
        ['msg', C.tstr('x')],
      ),
    ),
    v(
      'id-as-text',
      'BAD_FIELD',
      C.map(
        ['v', C.uint(1)],
        ['t', C.uint(4)],
        ['id', C.tstr('01234567')],
        ['lvl', C.uint(3)],
        ['msg', C.tstr('x')],
      ),
    ),
    v('re-missing', 'BAD_FIELD', msg('INFER_RESULT', ['cls', C.uint(0)], ['cyc', C.uint(0)])),
    // fields (§4.1.7)
    v('field-missing', 'BAD_FIELD', msg('LOG', ['lvl', C.uint(3)])),
    v('float-for-uint', 'BAD_FIELD', msg('LOG', ['lvl', C.f32(3)], ['msg', C.tstr('x')])),
    v('negative-uint', 'BAD_FIELD', msg('LOG', ['lvl', C.neg(-1)], ['msg', C.tstr('x')])),
    v('uint64-too-large', 'OUT_OF_RANGE', msg('TRAIN_STOP', ['sid', C.uint(0xffff_ffff_ffff_ffffn)])),
    v('enum-unknown', 'OUT_OF_RANGE', msg('LOG', ['lvl', C.uint(9)], ['msg', C.tstr('x')])),
    v(
      'text-too-long',
      'OUT_OF_RANGE',
      msg('LOG', ['lvl', C.uint(3)], ['msg', C.tstr('x'.repeat(P.MESSAGE_MAX_TEXT_BYTES + 1))]),
    ),
    v('float-nan', 'OUT_OF_RANGE', metrics(C.f32(Number.NaN), C.f32(0.5))),
    v('float-infinite', 'OUT_OF_RANGE', metrics(C.f16(0x7c00), C.f32(0.5))),
    v('float-above-range', 'OUT_OF_RANGE', metrics(C.f32(1), C.f32(1.5))),
    v('bstr-for-typed-array', 'BAD_FIELD', grad(C.bstr([0, 0, 1, 0]))),
    v('wrong-typed-array-tag', 'BAD_FIELD', grad(C.tag(78, C.bstr([0, 0, 0, 0, 1, 0, 0, 0])))),
    v('grad-indices-not-ascending', 'OUT_OF_RANGE', grad(C.u16le([3, 1]))),
    v('grad-values-length', 'OUT_OF_RANGE', grad(C.u16le([1, 3]), C.bstr([1, 2, 3]))),
    v(
      'sample-shape-mismatch',
      'OUT_OF_RANGE',
      msg(
        'SAMPLE_BATCH',
        ['sid', C.uint(1)],
        ['seq', C.uint(0)],
        ['shape', C.array(C.uint(2), C.uint(3))],
        ['x', C.bstr([1, 2, 3, 4, 5])],
        ['xs', C.f32(0.5)],
        ['xz', C.uint(0)],
        ['y', C.bstr([0, 1])],
      ),
    ),
    v(
      'lambda-order',
      'OUT_OF_RANGE',
      msg('TRAIN_START', ['sid', C.uint(1)], ['lmin', C.f32(0.75)], ['lmax', C.f32(0.5)]),
    ),
    v(
      'train-update-rule-unknown',
      'OUT_OF_RANGE',
      msg('TRAIN_START', ['sid', C.uint(1)], ['upd', C.uint(3)]),
    ),
    v('train-rounding-unknown', 'OUT_OF_RANGE', msg('TRAIN_CONFIG', ['sid', C.uint(1)], ['rnd', C.uint(2)])),
    v(
      'ota-bitmap-spare-bits',
      'BAD_FIELD',
      msg(
        'OTA_STATUS',
        ['st', C.uint(1)],
        ['sha', C.bstr(SHA)],
        ['nb', C.uint(3)],
        ['have', C.bstr([0b1000])],
      ),
    ),
    v(
      'ota-bitmap-short',
      'TRUNCATED',
      msg('OTA_STATUS', ['st', C.uint(1)], ['sha', C.bstr(SHA)], ['nb', C.uint(9)], ['have', C.bstr([0xff])]),
    ),
    v(
      'ota-block-count',
      'OUT_OF_RANGE',
      msg(
        'OTA_OFFER',
        ['sha', C.bstr(SHA)],
        ['size', C.uint(4097)],
        ['bs', C.uint(P.OTA_BLOCK_BYTES)],
        ['nb', C.uint(1)],
        ['mver', C.uint(1)],
        ['kid', C.bstr([0, 0, 0, 0, 0, 0, 0, 0])],
      ),
    ),
    v(
      'train-failed-without-err',
      'BAD_FIELD',
      msg('TRAIN_STATUS', ['sid', C.uint(1)], ['st', C.uint(4)], ['step', C.uint(0)], ['n', C.uint(0)]),
    ),
  ];
}

export function gatewayInvalidVectors(): InvalidCborVector[] {
  const rid = C.bstr(Array.from({ length: 16 }, (_, i) => i));
  const env = (t: MsgTypeName, ...body: Pair[]) =>
    C.map(['v', C.uint(1)], ['t', C.uint(MsgType[t])], ['id', rid], ...body);
  const want17 = [0xff, 0xff, 0x01];
  return [
    {
      name: 'block-request-burst',
      error: 'TOO_LARGE',
      bytes: env(
        'BLOCK_REQUEST',
        ['oid', C.bstr(SHA)],
        ['size', C.uint(17 * 4096)],
        ['bs', C.uint(4096)],
        ['want', C.bstr(want17)],
      ),
    },
    {
      name: 'block-request-bitmap-long',
      error: 'TOO_LARGE',
      bytes: env(
        'BLOCK_REQUEST',
        ['oid', C.bstr(SHA)],
        ['size', C.uint(4096)],
        ['bs', C.uint(4096)],
        ['want', C.bstr([1, 0])],
      ),
    },
    {
      name: 'block-request-object-too-large',
      error: 'TOO_LARGE',
      bytes: env(
        'BLOCK_REQUEST',
        ['oid', C.bstr(SHA)],
        ['size', C.uint(P.BLOCK_MAX_OBJECT_BYTES + 1)],
        ['bs', C.uint(4096)],
        ['want', C.bstr([1])],
      ),
    },
    {
      name: 'gw-status-without-ts',
      error: 'BAD_FIELD',
      bytes: env('GW_STATUS', ['on', C.false], ['gv', C.tstr('1')], ['since', C.uint(0)]),
    },
    {
      name: 'gw-status-online-without-devices',
      error: 'BAD_FIELD',
      bytes: env('GW_STATUS', ['ts', C.uint(1)], ['on', C.true], ['gv', C.tstr('1')], ['since', C.uint(0)]),
    },
  ];
}

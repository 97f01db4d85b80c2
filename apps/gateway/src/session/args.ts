/**
 * GW_COMMAND `args` (free-form, PROTOCOL.md §4.7.4) -> the bodies of TRAIN_START / TRAIN_CONFIG
 * (§4.4.2, §4.4.4). Keys are the serial messages' wire keys; unknown keys are ignored (§1.3). Value
 * types and ranges are checked by the message codec when the message is encoded (§4.1.7).
 */
import { CONST_GROUPS } from '@tinyfleet/protocol/constants';
import { ProtocolError } from '@tinyfleet/protocol/errors';
import type { Value, ValueMap } from '@tinyfleet/protocol/messages';

const TUNABLE: Record<string, string> = {
  lmin: 'lambdaMin',
  lmax: 'lambdaMax',
  lr: 'learningRate',
  bs: 'batchSize',
  eps: 'epsMode',
  ea: 'emaActivations',
  ee: 'emaErrors',
  ew: 'emaWeights',
  steps: 'maxSteps',
  smax: 'maxSamples',
  me: 'metricsEvery',
  ge: 'gradEvery',
  gk: 'gradKind',
  upd: 'updateRule', // §6.6.10
  rnd: 'rounding',
  lrb: 'biasLearningRate',
};

/** Value -> name of a constants-table group (§1.4), by its C prefix. */
function names(prefix: string): Record<number, string> {
  const g = CONST_GROUPS.find((c) => c.prefix === prefix);
  return Object.fromEntries((g?.entries ?? []).map((e) => [e.value, e.name]));
}

/** Enumerations may come as their wire value or their name (§1.4). */
const ENUMS: Record<string, Record<number, string>> = {
  eps: names('TF_EPS'),
  gk: names('TF_GRAD'),
  upd: names('TF_UPDATE'), // §6.6.10
  rnd: names('TF_ROUNDING'),
};

function value(key: string, v: Value): unknown {
  const e = ENUMS[key];
  if (e && typeof v === 'number') return e[v] ?? `#${v}`;
  return v;
}

/** `sid`: required, a u32 >= 1 (§4.4.2). Throws ProtocolError BAD_FIELD / OUT_OF_RANGE. */
export function sessionIdArg(args: ValueMap | undefined): number {
  const sid = args?.sid;
  if (typeof sid !== 'number' || !Number.isInteger(sid))
    throw new ProtocolError('BAD_FIELD', 'args.sid: a uint is required');
  if (sid < 1 || sid > 0xffff_ffff)
    throw new ProtocolError('OUT_OF_RANGE', `args.sid ${sid} is not in 1..2^32-1`);
  return sid;
}

export function textArg(args: ValueMap | undefined, key: string): string | undefined {
  const v = args?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ProtocolError('BAD_FIELD', `args.${key}: text expected`);
  return v;
}

export function uintArg(args: ValueMap | undefined, key: string): number | undefined {
  const v = args?.[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new ProtocolError('BAD_FIELD', `args.${key}: uint expected`);
  return v;
}

/** The tunable session parameters present in `args`, as message fields. */
export function tunables(args: ValueMap | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args ?? {})) {
    const field = TUNABLE[k];
    if (field) out[field] = value(k, v);
  }
  return out;
}

/** TRAIN_START-only keys (§4.4.2): `layers`, `seed` (§6.6.10), `msha`. */
export function startOnly(args: ValueMap | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (args?.layers !== undefined) out.trainableOps = args.layers;
  if (args?.seed !== undefined) out.seed = args.seed;
  if (args?.msha !== undefined) out.modelSha256 = args.msha;
  return out;
}

/**
 * The model input a session's samples must match (§4.3 item 4), when the command gives it: `xs`
 * (float > 0), `xz` (uint 0..255), `xshape` (array of uint, one sample without the batch dimension).
 * These are gateway-level keys of `train.start` (§4.7.2 free-form args); they are not sent to the device.
 */
export function inputArgs(args: ValueMap | undefined): {
  shape?: number[];
  scale?: number;
  zeroPoint?: number;
} {
  const out: { shape?: number[]; scale?: number; zeroPoint?: number } = {};
  const xs = args?.xs;
  if (xs !== undefined && xs !== null) {
    if (typeof xs !== 'number' || !Number.isFinite(xs) || xs <= 0)
      throw new ProtocolError('BAD_FIELD', 'args.xs: a float > 0 expected');
    out.scale = xs;
  }
  const xz = uintArg(args, 'xz');
  if (xz !== undefined) {
    if (xz > 255) throw new ProtocolError('OUT_OF_RANGE', 'args.xz: 0..255 expected');
    out.zeroPoint = xz;
  }
  const xshape = args?.xshape;
  if (xshape !== undefined && xshape !== null) {
    const ok =
      Array.isArray(xshape) &&
      xshape.length >= 1 &&
      xshape.length <= 3 &&
      xshape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 1 && d <= 0xffff);
    if (!ok) throw new ProtocolError('BAD_FIELD', 'args.xshape: 1..3 dimensions of 1..65535 expected');
    out.shape = xshape as number[];
  }
  return out;
}

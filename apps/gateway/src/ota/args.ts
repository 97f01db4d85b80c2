/**
 * The `args` of an `ota.job` GW_COMMAND (PROTOCOL.md §4.7.2), validated once at the boundary: `oid`
 * (bstr 32), `size` (uint), `confirm` (bool, default true), `smoke` (map of OTA_TEST_BOOT smoke keys,
 * optional); the cloud adds `sha`, `mver`, `kid` and `name` (apps/cloud/src/ota/job.ts), which the
 * gateway checks against the artifact it fetched.
 */
import { P } from '@tinyfleet/protocol/constants';
import { ProtocolError } from '@tinyfleet/protocol/errors';
import type { Value, ValueMap } from '@tinyfleet/protocol/messages';

/** Smoke test fields of OTA_TEST_BOOT (§4.6.5), as message fields. */
export interface SmokeTest {
  readonly shape: number[];
  readonly x: Uint8Array;
  readonly inputScale: number;
  readonly inputZeroPoint: number;
  readonly outputSha256: Uint8Array;
}

export interface OtaJob {
  /** Object id (§2.7): lowercase hex SHA-256 of the whole file. */
  readonly oid: string;
  readonly size: number;
  readonly confirm: boolean;
  readonly smoke?: SmokeTest;
  /** The content digest (§5.8) the cloud announces, if it does. */
  readonly sha?: Uint8Array;
  readonly mver?: number;
  readonly kid?: Uint8Array;
  readonly name?: string;
}

const bad = (key: string, why: string) => new ProtocolError('BAD_FIELD', `args.${key}: ${why}`);

function bstr(v: Value | undefined, key: string, len: number): Uint8Array | undefined {
  if (v === undefined || v === null) return undefined;
  if (!(v instanceof Uint8Array) || v.length !== len) throw bad(key, `a ${len}-byte bstr is required`);
  return v;
}

function uint(v: Value | undefined, key: string, max: number): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw bad(key, 'uint expected');
  if (v > max) throw new ProtocolError('OUT_OF_RANGE', `args.${key} ${v} is above ${max}`);
  return v;
}

function smokeArg(v: Value | undefined): SmokeTest | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || v instanceof Uint8Array || Array.isArray(v))
    throw bad('smoke', 'map expected');
  const m = v as ValueMap;
  const shape = m.shape;
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isInteger(d)))
    throw bad('smoke.shape', 'array of uint expected');
  const x = m.x;
  if (!(x instanceof Uint8Array)) throw bad('smoke.x', 'bstr expected');
  const xs = m.xs;
  if (typeof xs !== 'number') throw bad('smoke.xs', 'number expected');
  const xz = uint(m.xz, 'smoke.xz', 255);
  const ysha = bstr(m.ysha, 'smoke.ysha', 32);
  if (xz === undefined || ysha === undefined) throw bad('smoke', 'shape, x, xs, xz and ysha go together');
  // The message codec checks the rest (§4.6.5) when OTA_TEST_BOOT is encoded, before it is sent.
  return { shape: shape as number[], x, inputScale: xs, inputZeroPoint: xz, outputSha256: ysha };
}

/** Throws ProtocolError BAD_FIELD / OUT_OF_RANGE for bad args (§4.7.2). */
export function parseOtaJob(args: ValueMap | undefined): OtaJob {
  const oid = bstr(args?.oid, 'oid', 32);
  if (!oid) throw bad('oid', 'required');
  const size = uint(args?.size, 'size', P.BLOCK_MAX_OBJECT_BYTES);
  if (size === undefined || size === 0) throw bad('size', 'a uint >= 1 is required');
  const confirm = args?.confirm ?? true;
  if (typeof confirm !== 'boolean') throw bad('confirm', 'bool expected');
  const smoke = smokeArg(args?.smoke);
  const sha = bstr(args?.sha, 'sha', 32);
  const mver = uint(args?.mver, 'mver', 0xffff_ffff);
  const kid = bstr(args?.kid, 'kid', 8);
  const name = args?.name;
  return {
    oid: Buffer.from(oid).toString('hex'),
    size,
    confirm,
    ...(smoke && { smoke }),
    ...(sha && { sha }),
    ...(mver !== undefined && { mver }),
    ...(kid && { kid }),
    ...(typeof name === 'string' && { name }),
  };
}

/**
 * Golden vectors (protocol/vectors, PROTOCOL.md §7) through the C decoders: `tf_vector_dump` (built
 * from firmware-templates/tests/vector_dump.c) decodes every link frame, CBOR message and artifact in
 * C and prints one JSON line each; this test compares each line with the vector's .json and names the
 * file and the first differing field. The decoding is all C; TypeScript only compares.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cmakeBuild, missingTool, REPO_ROOT, run } from './toolchain.js';

const VECTORS = join(REPO_ROOT, 'protocol', 'vectors');
/** Message types whose bodies the C codec decodes (tf_msg.h). */
// every device-hop type (§4.2-§4.6); gateway-level types (§4.7, §4.8) are envelope only on the device
const C_BODY_TYPES = new Set([
  1, 2, 3, 4, 5, 0x10, 0x11, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x30, 0x31, 0x40, 0x41, 0x42, 0x43, 0x44,
  0x45, 0x46,
]);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const readJson = (path: string): Obj => JSON.parse(readFileSync(path, 'utf8')) as Obj;

/** First path where `got` differs from `want`, comparing only what `got` holds (C emits a subset). */
function firstDiff(got: Json, want: Json, path: string): string | undefined {
  if (typeof got === 'number' && typeof want === 'number') {
    return Math.fround(got) === Math.fround(want) ? undefined : `${path}: C ${got}, json ${want}`;
  }
  if (got === null || typeof got !== 'object') {
    return got === want ? undefined : `${path}: C ${JSON.stringify(got)}, json ${JSON.stringify(want)}`;
  }
  if (want === null || typeof want !== 'object') return `${path}: C ${JSON.stringify(got)}, json ${want}`;
  if (Array.isArray(got) !== Array.isArray(want)) return `${path}: array vs object`;
  if (Array.isArray(got) && Array.isArray(want) && got.length !== want.length) {
    return `${path}: length C ${got.length}, json ${want.length}`;
  }
  for (const [k, v] of Object.entries(got)) {
    const d = firstDiff(v, (want as Obj)[k] ?? null, `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

const missing = missingTool([
  ['cmake', 'cmake'],
  ['gcc', 'gcc'],
]);

if (missing) {
  console.warn(`firmware vectors: skipped, ${missing}`);
  it.skip(`firmware vectors: skipped, ${missing}`, () => {});
} else {
  describe('golden vectors through the C decoders (tf_vector_dump)', () => {
    const dump = new Map<string, Obj>();

    beforeAll(() => {
      const dir = cmakeBuild(
        'vitest-vectors',
        ['-DCMAKE_C_COMPILER=gcc', '-DCMAKE_BUILD_TYPE=Debug'],
        ['tf_vector_dump'],
      );
      const r = run(join(dir, 'tests', 'tf_vector_dump'), [VECTORS], { timeoutMs: 30_000 });
      expect(r.status, r.output).toBe(0);
      for (const line of r.output.split('\n').filter((l) => l.startsWith('{'))) {
        const o = JSON.parse(line) as Obj;
        dump.set(`${String(o.kind)}/${String(o.file)}`, o);
      }
    }, 180_000);

    it('link: every .bin agrees with its .json (validity, error, header, payload, decoded)', () => {
      const files = readdirSync(join(VECTORS, 'link')).filter((f) => f.endsWith('.bin'));
      expect(files.length).toBeGreaterThan(15);
      for (const f of files) {
        const want = readJson(join(VECTORS, 'link', f.replace(/\.bin$/, '.json')));
        const got = dump.get(`link/${f}`);
        expect(got, `link/${f}: no C result`).toBeDefined();
        expect(got?.valid, `link/${f}: valid`).toBe(want.valid);
        if (want.valid) {
          for (const k of ['header', 'payload', 'decoded'] as const) {
            if (want[k] === undefined) continue;
            const d = firstDiff(got?.[k] ?? null, want[k] ?? null, `link/${f} ${k}`);
            expect(d, d).toBeUndefined();
          }
        } else {
          expect(got?.error, `link/${f}: error code`).toBe(want.error);
        }
      }
    });

    it('cbor: every valid message is walked by the C reader and decoded; key fields match', () => {
      const files = readdirSync(join(VECTORS, 'cbor')).filter((f) => f.endsWith('.cbor'));
      expect(files.length).toBeGreaterThan(40);
      let decodedBodies = 0;
      for (const f of files) {
        const want = readJson(join(VECTORS, 'cbor', f.replace(/\.cbor$/, '.json')));
        const got = dump.get(`cbor/${f}`);
        expect(got?.walk, `cbor/${f}: C walk`).toBe('OK');
        expect(got?.status, `cbor/${f}: C decode`).toBe('OK');
        expect(got?.t, `cbor/${f}: t`).toBe(want.t);
        expect(got?.body, `cbor/${f}: body decoded`).toBe(C_BODY_TYPES.has(Number(want.t)));
        const d = firstDiff(got?.fields ?? null, want, `cbor/${f}`);
        expect(d, d).toBeUndefined();
        if (got?.body) {
          decodedBodies++;
          // every key of the .json the C codec knows must have been decoded (unknown keys are ignored)
          const known = Object.keys(got.fields as Obj);
          const missingKeys = Object.keys(want).filter(
            (k) => !known.includes(k) && !['x_future', 'ext'].some((p) => k.startsWith(p)),
          );
          if (!f.startsWith('log-unknown-keys'))
            expect(missingKeys, `cbor/${f}: keys not decoded`).toEqual([]);
        }
      }
      console.log(`cbor: ${files.length} valid vectors decoded, ${decodedBodies} with their body`);
      // the device's report encoders (SAMPLE_CREDIT, TRAIN_STATUS/METRICS, GRAD_UPDATE, OTA_STATUS):
      // re-encoding a decoded vector gives its bytes (preferred serialization, float32 as 0xfa), except
      // the two vectors written in non-preferred forms on purpose; the C decoder accepts the result
      let reencoded = 0;
      for (const f of files) {
        const got = dump.get(`cbor/${f}`);
        if (got?.reenc === undefined) continue;
        reencoded++;
        expect(got.redec, `cbor/${f}: C re-encoding decodes`).toBe('OK');
        if (!['sample-credit-any-order-wide-ints.cbor', 'train-metrics-float-edges.cbor'].includes(f))
          expect(got.reenc, `cbor/${f}: C re-encoding equals the vector bytes`).toBe(true);
      }
      expect(reencoded).toBeGreaterThanOrEqual(10);
      expect(decodedBodies).toBeGreaterThanOrEqual(40);
    });

    it('cbor/invalid: rejected with the code of the .json (bodies of types the C codec decodes)', () => {
      const files = readdirSync(join(VECTORS, 'cbor', 'invalid')).filter((f) => f.endsWith('.cbor'));
      let checked = 0;
      const notApplicable: string[] = [];
      for (const f of files) {
        const want = readJson(join(VECTORS, 'cbor', 'invalid', f.replace(/\.cbor$/, '.json')));
        const got = dump.get(`cbor-invalid/${f}`);
        if (got?.status === 'OK' && got.body === false && !C_BODY_TYPES.has(Number(got.t))) {
          notApplicable.push(f); // a body rule of a gateway-level type (§4.7, §4.8): not decoded on the device
          continue;
        }
        expect(got?.status, `cbor/invalid/${f}`).toBe(want.error);
        checked++;
      }
      console.log(
        `cbor/invalid: ${checked} rejected as the .json says; gateway-level, not applicable: ${notApplicable.join(', ')}`,
      );
      expect(checked).toBeGreaterThanOrEqual(30);
    });

    it('artifact: small.tfm and small-unsigned.tfm parse in place and match small.json', () => {
      const want = readJson(join(VECTORS, 'artifact', 'small.json'));
      for (const f of ['small.tfm', 'small-unsigned.tfm']) {
        const got = dump.get(`artifact/${f}`);
        expect(got?.status, `artifact/${f}`).toBe('OK');
        const header = { ...(got?.header as Obj) };
        const sections = header.sections as Obj[];
        delete header.sections;
        let d = firstDiff(header, want.header ?? null, `artifact/${f} header`);
        expect(d, d).toBeUndefined();
        const wantSections = ((want.header as Obj).sections as Obj[]).map(({ name: _n, ...rest }) => rest);
        d = firstDiff(sections, wantSections, `artifact/${f} sections`);
        expect(d, d).toBeUndefined();
        const gotOps = (got?.ops ?? []) as Obj[];
        const ops = gotOps.map(({ p16: _p, act_min: _a, act_max: _b, ...rest }) => rest);
        d = firstDiff(ops, want.ops ?? null, `artifact/${f} ops`);
        expect(d, d).toBeUndefined();
        // op params: compare by name
        for (const [i, op] of gotOps.entries()) {
          const p = ((want.ops as Obj[])[i]?.params ?? {}) as Obj;
          const p16 = op.p16 as number[];
          const names = ['stride_h', 'stride_w', p.window_h !== undefined ? 'window_h' : 'dilation_h'];
          names.push(
            p.window_w !== undefined ? 'window_w' : 'dilation_w',
            'pad_top',
            'pad_left',
            'pad_bottom',
          );
          names.push('pad_right');
          names.forEach((n, k) => {
            if (p[n] !== undefined) expect(p16[k], `artifact/${f} ops[${i}].params.${n}`).toBe(p[n]);
          });
          if (p.axis !== undefined) expect(p16[0], `artifact/${f} ops[${i}].params.axis`).toBe(p.axis);
          if (p.act_min !== undefined) expect(op.act_min, `artifact/${f} ops[${i}].act_min`).toBe(p.act_min);
          if (p.act_max !== undefined) expect(op.act_max, `artifact/${f} ops[${i}].act_max`).toBe(p.act_max);
        }
        d = firstDiff(got?.tensors ?? null, want.tensors ?? null, `artifact/${f} tensors`);
        expect(d, d).toBeUndefined();
        d = firstDiff(got?.training ?? null, want.training ?? null, `artifact/${f} training`);
        expect(d, d).toBeUndefined();
        const sig = got?.signature as Obj;
        if (f === 'small.tfm') {
          expect(sig.signed).toBe(true);
          const { present: _p, signed: _s, ...rest } = sig;
          d = firstDiff(rest, want.signature ?? null, `artifact/${f} signature`);
          expect(d, d).toBeUndefined();
        } else {
          expect(sig.present).toBe(false);
        }
      }
    });
  });
}

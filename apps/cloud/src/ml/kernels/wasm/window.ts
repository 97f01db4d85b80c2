/**
 * Code generators for the memory-bound window kernels (max pooling; `run` is shared with im2col), NHWC,
 * vectorised over channels (SIMD for groups of 4, scalar for the rest). Pointers are byte offsets.
 */
import { F32, FuncBuilder, I32, Op, Simd, V128 } from './assembler.js';

/** Emit `dst[0..len) op= src[0..len)` (copy, add or zero) with locals supplied by the caller. */
export function run(
  f: FuncBuilder,
  mode: 'copy' | 'add' | 'zero',
  dst: number,
  src: number,
  lenBytes: () => void,
  t: { p: number; end: number },
): void {
  lenBytes();
  f.set(t.end);
  const body = (vec: boolean): void => {
    const ld = vec ? Simd.load : Op.f32Load;
    const st = vec ? Simd.store : Op.f32Store;
    const mem = (opcode: number): void => {
      if (vec) f.simdMem(opcode, 0);
      else f.mem(opcode, 0);
    };
    f.get(dst).get(t.p).op(Op.i32Add);
    if (mode === 'zero') {
      if (vec) f.simd(Simd.const).op(...new Array<number>(16).fill(0));
      else f.f32(0);
    } else {
      f.get(src).get(t.p).op(Op.i32Add);
      mem(ld);
      if (mode === 'add') {
        f.get(dst).get(t.p).op(Op.i32Add);
        mem(ld);
        if (vec) f.simd(Simd.f32x4Add);
        else f.op(Op.f32Add);
      }
    }
    mem(st);
  };
  f.forLoop(
    t.p,
    () => f.i32(0),
    () => f.get(t.end).i32(15).op(Op.i32Sub),
    () => body(true),
    16,
  );
  f.forLoop(
    t.p,
    () => f.get(t.p),
    () => f.get(t.end),
    () => body(false),
    4,
  );
}

/** Window geometry parameters shared by the pooling and im2col kernels (after their own pointers). */
export const GEO = [
  'n',
  'h',
  'w',
  'c',
  'oh',
  'ow',
  'kh',
  'kw',
  'sh',
  'sw',
  'dh',
  'dw',
  'padT',
  'padL',
] as const;
export type Geo = Record<(typeof GEO)[number], number>;

export function geoParams(nPointers: number): Geo {
  const g = {} as Geo;
  GEO.forEach((k, i) => {
    g[k] = nPointers + i;
  });
  return g;
}

/**
 * maxpool_fwd(x, y, ...geo) and maxpool_bwd(x, y, dy, dx, ...geo): the gradient goes to the first
 * tap equal to the maximum (dx is overwritten). Dilation parameters are ignored (pools use 1).
 */
export function emitMaxPool(backward: boolean): FuncBuilder {
  const np = backward ? 4 : 2;
  const f = new FuncBuilder(
    backward ? 'maxpool_bwd' : 'maxpool_fwd',
    new Array<typeof I32>(np + GEO.length).fill(I32),
  );
  const [x, y, dy, dx] = [0, 1, 2, 3];
  const g = geoParams(np);
  const { b, oy, ox, iy, ix, y0, y1, x0, x1, ch, c4, op, tp, off, cv } = f.named(I32, [
    'b',
    'oy',
    'ox',
    'iy',
    'ix',
    'y0',
    'y1',
    'x0',
    'x1',
    'ch',
    'c4',
    'op',
    'tp',
    'off',
    'cv',
  ]);
  const acc = f.local(V128);
  const yv = f.local(V128);
  const dyv = f.local(V128);
  const done = f.local(V128);
  const m = f.local(V128);
  const s = f.local(F32);
  const found = f.local(I32);
  const t = { p: f.local(I32), end: f.local(I32) };
  f.get(g.c).i32(4).op(Op.i32Mul).set(c4);
  if (backward) {
    run(
      f,
      'zero',
      dx,
      dx,
      () => f.get(g.n).get(g.h).op(Op.i32Mul).get(g.w).op(Op.i32Mul).get(c4).op(Op.i32Mul),
      t,
    );
  }
  f.i32(0).set(op);
  f.forLoop(
    b,
    () => f.i32(0),
    () => f.get(g.n),
    () =>
      f.forLoop(
        oy,
        () => f.i32(0),
        () => f.get(g.oh),
        () => {
          f.i32Max(
            () => f.i32(0),
            () => f.get(oy).get(g.sh).op(Op.i32Mul).get(g.padT).op(Op.i32Sub),
          ).set(y0);
          f.i32Min(
            () => f.get(g.h),
            () => f.get(oy).get(g.sh).op(Op.i32Mul).get(g.padT).op(Op.i32Sub).get(g.kh).op(Op.i32Add),
          ).set(y1);
          f.forLoop(
            ox,
            () => f.i32(0),
            () => f.get(g.ow),
            () => {
              f.i32Max(
                () => f.i32(0),
                () => f.get(ox).get(g.sw).op(Op.i32Mul).get(g.padL).op(Op.i32Sub),
              ).set(x0);
              f.i32Min(
                () => f.get(g.w),
                () => f.get(ox).get(g.sw).op(Op.i32Mul).get(g.padL).op(Op.i32Sub).get(g.kw).op(Op.i32Add),
              ).set(x1);
              // taps: tp = byte offset of (b, iy, ix, ch) in x
              const taps = (body: () => void): void => {
                f.forLoop(
                  iy,
                  () => f.get(y0),
                  () => f.get(y1),
                  () =>
                    f.forLoop(
                      ix,
                      () => f.get(x0),
                      () => f.get(x1),
                      () => {
                        f.get(b)
                          .get(g.h)
                          .op(Op.i32Mul)
                          .get(iy)
                          .op(Op.i32Add)
                          .get(g.w)
                          .op(Op.i32Mul)
                          .get(ix)
                          .op(Op.i32Add);
                        f.get(c4).op(Op.i32Mul).get(cv).op(Op.i32Add).set(tp);
                        body();
                      },
                    ),
                );
              };
              const channels = (vec: boolean): void => {
                const ld = (base: number, offset: number): void => {
                  f.get(base).get(offset).op(Op.i32Add);
                  if (vec) f.simdMem(Simd.load, 0);
                  else f.mem(Op.f32Load, 0);
                };
                f.get(ch).i32(4).op(Op.i32Mul).set(cv);
                f.get(op).get(cv).op(Op.i32Add).set(off);
                if (!backward) {
                  if (vec) f.f32(Number.NEGATIVE_INFINITY).simd(Simd.f32x4Splat).set(acc);
                  else f.f32(Number.NEGATIVE_INFINITY).set(s);
                  taps(() => {
                    if (vec) {
                      f.get(acc);
                      ld(x, tp);
                      f.simd(Simd.f32x4Pmax).set(acc);
                    } else {
                      f.get(s);
                      ld(x, tp);
                      f.op(Op.f32Max).set(s);
                    }
                  });
                  f.get(y)
                    .get(off)
                    .op(Op.i32Add)
                    .get(vec ? acc : s);
                  if (vec) f.simdMem(Simd.store, 0);
                  else f.mem(Op.f32Store, 0);
                  return;
                }
                if (vec) {
                  ld(y, off);
                  f.set(yv);
                  ld(dy, off);
                  f.set(dyv);
                  f.simd(Simd.const)
                    .op(...new Array<number>(16).fill(0))
                    .set(done);
                  taps(() => {
                    ld(x, tp);
                    f.get(yv).simd(Simd.f32x4Eq).get(done).simd(Simd.v128AndNot).set(m);
                    f.get(dx).get(tp).op(Op.i32Add);
                    ld(dx, tp);
                    f.get(dyv).get(m).simd(Simd.v128And).simd(Simd.f32x4Add).simdMem(Simd.store, 0);
                    f.get(done).get(m).simd(Simd.v128Or).set(done);
                  });
                } else {
                  f.i32(0).set(found);
                  taps(() => {
                    f.get(found).op(Op.i32Eqz);
                    ld(x, tp);
                    ld(y, off);
                    f.op(Op.f32Eq, 0x71);
                    f.ifElse(() => {
                      f.get(dx).get(tp).op(Op.i32Add);
                      ld(dx, tp);
                      ld(dy, off);
                      f.op(Op.f32Add).mem(Op.f32Store, 0);
                      f.i32(1).set(found);
                    });
                  });
                }
              };
              f.forLoop(
                ch,
                () => f.i32(0),
                () => f.get(g.c).i32(3).op(Op.i32Sub),
                () => channels(true),
                4,
              );
              f.forLoop(
                ch,
                () => f.get(ch),
                () => f.get(g.c),
                () => channels(false),
              );
              f.inc(op, () => f.get(c4));
            },
          );
        },
      ),
  );
  return f;
}

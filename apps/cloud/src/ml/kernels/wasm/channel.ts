/**
 * Code generators for the per-channel NHWC kernels: depthwise convolution / average pooling driven by
 * a tap table, BatchNorm sums and per-channel affine maps. Channels are the innermost, contiguous axis;
 * every kernel runs groups of 4 channels in SIMD and the remainder in scalar code. Pointers are byte
 * offsets; `c4` is the channel count in bytes.
 *
 * Tap table: for output pixel p of a sample, entries `starts[p] .. starts[p+1]` of `tbl` are
 * (input byte offset in the sample, weight byte offset) pairs of i32, one per valid kernel tap.
 */
import { F32, FuncBuilder, I32, Op, Simd, V128 } from './assembler.js';

/** The channel loop: `body(true)` per group of 4 channels, then `body(false)` per remaining one. */
function channels(f: FuncBuilder, ch: number, c4: number, body: (vec: boolean) => void): void {
  f.forLoop(
    ch,
    () => f.i32(0),
    () => f.get(c4).i32(15).op(Op.i32Sub),
    () => body(true),
    16,
  );
  f.forLoop(
    ch,
    () => f.get(ch),
    () => f.get(c4),
    () => body(false),
    4,
  );
}

/** Push the value at address `addr()` (v128 or f32). */
function load(f: FuncBuilder, vec: boolean, addr: () => void): void {
  addr();
  if (vec) f.simdMem(Simd.load, 0);
  else f.mem(Op.f32Load, 0);
}

/** Store the value pushed by `value()` at `addr()`. */
function store(f: FuncBuilder, vec: boolean, addr: () => void, value: () => void): void {
  addr();
  value();
  if (vec) f.simdMem(Simd.store, 0);
  else f.mem(Op.f32Store, 0);
}

const add = (f: FuncBuilder, vec: boolean): FuncBuilder => (vec ? f.simd(Simd.f32x4Add) : f.op(Op.f32Add));
const sub = (f: FuncBuilder, vec: boolean): FuncBuilder => (vec ? f.simd(Simd.f32x4Sub) : f.op(Op.f32Sub));
const mul = (f: FuncBuilder, vec: boolean): FuncBuilder => (vec ? f.simd(Simd.f32x4Mul) : f.op(Op.f32Mul));
const sum2 = (f: FuncBuilder, a: number, b: number): FuncBuilder => f.get(a).get(b).op(Op.i32Add);

/** Loop over samples b and output pixels p with the tap range [t0, t1) loaded. */
function pixels(
  f: FuncBuilder,
  a: { n: number; pix: number; starts: number },
  l: { b: number; p: number; t0: number; t1: number },
  perSample: () => void,
  body: () => void,
): void {
  f.forLoop(
    l.b,
    () => f.i32(0),
    () => f.get(a.n),
    () => {
      perSample();
      f.forLoop(
        l.p,
        () => f.i32(0),
        () => f.get(a.pix),
        () => {
          f.get(a.starts).get(l.p).i32(4).op(Op.i32Mul).op(Op.i32Add).mem(Op.i32Load, 0).set(l.t0);
          f.get(a.starts).get(l.p).i32(4).op(Op.i32Mul).op(Op.i32Add).mem(Op.i32Load, 4).set(l.t1);
          body();
        },
      );
    },
  );
}

/** dw_fwd(x, y, w, bias, n, pix, inBytes, c, tbl, starts): y[p] = bias + Σ_taps x·w. */
export function emitDepthwiseForward(): FuncBuilder {
  const f = new FuncBuilder('dw_fwd', new Array<typeof I32>(10).fill(I32));
  const [x, y, w, bias, n, pix, inBytes, c, tbl, starts] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const l = f.named(I32, ['b', 'p', 't0', 't1', 't', 'e', 'xb', 'o', 'ch', 'c4']);
  const acc = f.local(V128);
  const accS = f.local(F32);
  f.get(c).i32(4).op(Op.i32Mul).set(l.c4);
  pixels(
    f,
    { n, pix, starts },
    l,
    () => f.get(x).get(l.b).get(inBytes).op(Op.i32Mul).op(Op.i32Add).set(l.xb),
    () => {
      f.get(l.b).get(pix).op(Op.i32Mul).get(l.p).op(Op.i32Add).get(l.c4).op(Op.i32Mul).get(y);
      f.op(Op.i32Add).set(l.o);
      channels(f, l.ch, l.c4, (vec) => {
        const a = vec ? acc : accS;
        load(f, vec, () => sum2(f, bias, l.ch));
        f.set(a);
        f.forLoop(
          l.t,
          () => f.get(l.t0),
          () => f.get(l.t1),
          () => {
            f.get(tbl).get(l.t).i32(8).op(Op.i32Mul).op(Op.i32Add).set(l.e);
            f.get(a);
            load(f, vec, () => f.get(l.xb).get(l.e).mem(Op.i32Load, 0).op(Op.i32Add).get(l.ch).op(Op.i32Add));
            load(f, vec, () => f.get(w).get(l.e).mem(Op.i32Load, 4).op(Op.i32Add).get(l.ch).op(Op.i32Add));
            mul(f, vec);
            add(f, vec).set(a);
          },
        );
        store(
          f,
          vec,
          () => sum2(f, l.o, l.ch),
          () => f.get(a),
        );
      });
    },
  );
  return f;
}

/**
 * dw_bwd[_w|_x](x, dy, w, gw, dx, n, pix, inBytes, c, tbl, starts): gw += Σ x·dy (when `gw`) and
 * dx += w·dy scattered over the taps (when `dx`); the caller zeroes what it wants overwritten.
 */
export function emitDepthwiseBackward(withGw: boolean, withDx: boolean): FuncBuilder {
  const name = `dw_bwd${withGw && withDx ? '' : withGw ? '_w' : '_x'}`;
  const f = new FuncBuilder(name, new Array<typeof I32>(11).fill(I32));
  const [x, dy, w, gw, dx, n, pix, inBytes, c, tbl, starts] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const l = f.named(I32, ['b', 'p', 't0', 't1', 't', 'e', 'xo', 'wo', 'sb', 'o', 'ch', 'c4']);
  const d = f.local(V128);
  const dS = f.local(F32);
  f.get(c).i32(4).op(Op.i32Mul).set(l.c4);
  pixels(
    f,
    { n, pix, starts },
    l,
    () => f.get(l.b).get(inBytes).op(Op.i32Mul).set(l.sb),
    () => {
      f.get(l.b).get(pix).op(Op.i32Mul).get(l.p).op(Op.i32Add).get(l.c4).op(Op.i32Mul).get(dy);
      f.op(Op.i32Add).set(l.o);
      channels(f, l.ch, l.c4, (vec) => {
        const dv = vec ? d : dS;
        load(f, vec, () => sum2(f, l.o, l.ch));
        f.set(dv);
        f.forLoop(
          l.t,
          () => f.get(l.t0),
          () => f.get(l.t1),
          () => {
            f.get(tbl).get(l.t).i32(8).op(Op.i32Mul).op(Op.i32Add).set(l.e);
            f.get(l.sb).get(l.e).mem(Op.i32Load, 0).op(Op.i32Add).get(l.ch).op(Op.i32Add).set(l.xo);
            f.get(l.e).mem(Op.i32Load, 4).get(l.ch).op(Op.i32Add).set(l.wo);
            if (withGw) {
              store(
                f,
                vec,
                () => sum2(f, gw, l.wo),
                () => {
                  load(f, vec, () => sum2(f, gw, l.wo));
                  load(f, vec, () => sum2(f, x, l.xo));
                  f.get(dv);
                  mul(f, vec);
                  add(f, vec);
                },
              );
            }
            if (withDx) {
              store(
                f,
                vec,
                () => sum2(f, dx, l.xo),
                () => {
                  load(f, vec, () => sum2(f, dx, l.xo));
                  load(f, vec, () => sum2(f, w, l.wo));
                  f.get(dv);
                  mul(f, vec);
                  add(f, vec);
                },
              );
            }
          },
        );
      });
    },
  );
  return f;
}

/**
 * bn_sums_sq(a, pivot, sum, sq, r0, r1, c): per channel Σ(a−pivot) and Σ(a−pivot)² over rows [r0, r1).
 * bn_sums_dot(a, b, sum, dot, r0, r1, c): Σa and Σa·b. Results overwrite `sum` and `sq` / `dot`.
 */
export function emitChannelSums(dot: boolean): FuncBuilder {
  const f = new FuncBuilder(dot ? 'bn_sums_dot' : 'bn_sums_sq', new Array<typeof I32>(7).fill(I32));
  const [a, other, sum, sq, r0, r1, c] = [0, 1, 2, 3, 4, 5, 6];
  const l = f.named(I32, ['r', 'ch', 'c4', 'addr']);
  const [s, q, v, pv] = [f.local(V128), f.local(V128), f.local(V128), f.local(V128)];
  const [sS, qS, vS, pS] = [f.local(F32), f.local(F32), f.local(F32), f.local(F32)];
  f.get(c).i32(4).op(Op.i32Mul).set(l.c4);
  channels(f, l.ch, l.c4, (vec) => {
    const [S, Q, V, P] = vec ? [s, q, v, pv] : [sS, qS, vS, pS];
    if (vec) f.f32(0).simd(Simd.f32x4Splat).set(S).f32(0).simd(Simd.f32x4Splat).set(Q);
    else f.f32(0).set(S).f32(0).set(Q);
    if (!dot) {
      load(f, vec, () => sum2(f, other, l.ch));
      f.set(P);
    }
    f.forLoop(
      l.r,
      () => f.get(r0),
      () => f.get(r1),
      () => {
        f.get(l.r).get(l.c4).op(Op.i32Mul).get(l.ch).op(Op.i32Add).set(l.addr);
        load(f, vec, () => sum2(f, a, l.addr));
        if (!dot) {
          f.get(P);
          sub(f, vec);
        }
        f.set(V);
        f.get(S).get(V);
        add(f, vec).set(S);
        f.get(Q).get(V);
        if (dot) load(f, vec, () => sum2(f, other, l.addr));
        else f.get(V);
        mul(f, vec);
        add(f, vec).set(Q);
      },
    );
    store(
      f,
      vec,
      () => sum2(f, sum, l.ch),
      () => f.get(S),
    );
    store(
      f,
      vec,
      () => sum2(f, sq, l.ch),
      () => f.get(Q),
    );
  });
  return f;
}

/**
 * chan_affine(a, out, A, C, rows, c): out = a·A + C per channel.
 * chan_affine2(a, b, out, A, B, C, rows, c): out = a·A + b·B + C per channel.
 */
export function emitChannelAffine(two: boolean): FuncBuilder {
  const np = two ? 8 : 6;
  const f = new FuncBuilder(two ? 'chan_affine2' : 'chan_affine', new Array<typeof I32>(np).fill(I32));
  const [a, b, out, A, B, C, rows, c] = two ? [0, 1, 2, 3, 4, 5, 6, 7] : [0, -1, 1, 2, -1, 3, 4, 5];
  const l = f.named(I32, ['r', 'ch', 'c4', 'addr']);
  f.get(c!).i32(4).op(Op.i32Mul).set(l.c4);
  f.forLoop(
    l.r,
    () => f.i32(0),
    () => f.get(rows!),
    () =>
      channels(f, l.ch, l.c4, (vec) => {
        f.get(l.r).get(l.c4).op(Op.i32Mul).get(l.ch).op(Op.i32Add).set(l.addr);
        store(
          f,
          vec,
          () => sum2(f, out!, l.addr),
          () => {
            load(f, vec, () => sum2(f, a!, l.addr));
            load(f, vec, () => sum2(f, A!, l.ch));
            mul(f, vec);
            if (two) {
              load(f, vec, () => sum2(f, b!, l.addr));
              load(f, vec, () => sum2(f, B!, l.ch));
              mul(f, vec);
              add(f, vec);
            }
            load(f, vec, () => sum2(f, C!, l.ch));
            add(f, vec);
          },
        );
      }),
  );
  return f;
}

/** ReLU / ReLU6 forward and backward, 4 lanes at a time with a scalar tail. Pointers are byte offsets. */
import { F32, FuncBuilder, I32, Op, Simd, V128 } from './assembler.js';

/** relu_fwd(x, y, len, hi): y = min(max(x, 0), hi). relu_bwd(x, dy, dx, len, hi): dx = dy·[0 < x < hi]. */
export function emitRelu(): FuncBuilder[] {
  const fwd = new FuncBuilder('relu_fwd', [I32, I32, I32, F32]);
  {
    const f = fwd;
    const [x, y, len, hi] = [0, 1, 2, 3];
    const p = f.local(I32);
    const end = f.local(I32);
    const hv = f.local(V128);
    f.get(hi).simd(Simd.f32x4Splat).set(hv);
    f.get(len).i32(4).op(Op.i32Mul).set(end);
    f.forLoop(
      p,
      () => f.i32(0),
      () => f.get(end).i32(15).op(Op.i32Sub),
      () => {
        f.get(y).get(p).op(Op.i32Add);
        f.get(hv);
        f.simd(Simd.const).op(...new Array<number>(16).fill(0));
        f.get(x).get(p).op(Op.i32Add).simdMem(Simd.load, 0);
        f.simd(Simd.f32x4Pmax).simd(Simd.f32x4Pmin).simdMem(Simd.store, 0);
      },
      16,
    );
    f.forLoop(
      p,
      () => f.get(p),
      () => f.get(end),
      () => {
        f.get(y).get(p).op(Op.i32Add);
        f.get(x).get(p).op(Op.i32Add).mem(Op.f32Load, 0).f32(0).op(Op.f32Max).get(hi).op(Op.f32Min);
        f.mem(Op.f32Store, 0);
      },
      4,
    );
  }
  const bwd = new FuncBuilder('relu_bwd', [I32, I32, I32, I32, F32]);
  {
    const f = bwd;
    const [x, dy, dx, len, hi] = [0, 1, 2, 3, 4];
    const p = f.local(I32);
    const end = f.local(I32);
    const hv = f.local(V128);
    const xv = f.local(V128);
    const xs = f.local(F32);
    f.get(hi).simd(Simd.f32x4Splat).set(hv);
    f.get(len).i32(4).op(Op.i32Mul).set(end);
    f.forLoop(
      p,
      () => f.i32(0),
      () => f.get(end).i32(15).op(Op.i32Sub),
      () => {
        f.get(dx).get(p).op(Op.i32Add);
        f.get(x).get(p).op(Op.i32Add).simdMem(Simd.load, 0).set(xv);
        f.get(dy).get(p).op(Op.i32Add).simdMem(Simd.load, 0);
        f.get(xv)
          .simd(Simd.const)
          .op(...new Array<number>(16).fill(0))
          .simd(Simd.f32x4Gt)
          .simd(Simd.v128And);
        f.get(xv).get(hv).simd(Simd.f32x4Lt).simd(Simd.v128And);
        f.simdMem(Simd.store, 0);
      },
      16,
    );
    f.forLoop(
      p,
      () => f.get(p),
      () => f.get(end),
      () => {
        f.get(dx).get(p).op(Op.i32Add);
        f.get(dy).get(p).op(Op.i32Add).mem(Op.f32Load, 0);
        f.f32(0);
        f.get(x).get(p).op(Op.i32Add).mem(Op.f32Load, 0).tee(xs).f32(0).op(Op.f32Gt);
        f.get(xs).get(hi).op(Op.f32Lt).op(0x71); // i32.and
        f.op(Op.select).mem(Op.f32Store, 0);
      },
      4,
    );
  }
  return [fwd, bwd];
}

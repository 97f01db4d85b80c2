/**
 * Code generator for the GEMM kernels: C[m,n] (+)= A[m,k] · B[k,n], f32, row-major, byte pointers.
 *
 * B is first packed (`packB` / `packBT`) into panels of NR columns: panel q holds rows 0..k-1 of
 * columns q*NR..q*NR+NR-1, zero-padded, so the micro-kernel always reads NR/4 whole vectors.
 * A is read in place, either normally (A(i,p) at a[i*lda+p]) or transposed (A(i,p) at a[p*lda+i],
 * used for weight gradients: dW = colsᵀ·dY). The micro-kernel keeps an MR×NR tile of C in registers,
 * broadcasts one A value per row and k, and multiplies it with the NR/4 B vectors.
 */
import { F32, FuncBuilder, I32, Op, Simd, V128 } from './assembler.js';

export interface GemmShape {
  /** Rows of the register tile. */
  readonly mr: number;
  /** Columns of the register tile (multiple of 4). */
  readonly nr: number;
  /** k-loop unroll factor. */
  readonly unroll: number;
  /** Use f32x4.relaxed_madd (needs relaxed SIMD). */
  readonly fma: boolean;
}

/** Bytes of scratch the GEMM needs at address 0 (edge tiles are spilled there). */
export const GEMM_SCRATCH_BYTES = 1024;

/**
 * `gemm_nn` / `gemm_tn(a, lda, bp, c, ldc, m, n, k, beta, bias)`: beta 0 overwrites C, 1 accumulates;
 * `bias` (0 for none) points at n floats, zero-padded to a multiple of NR, added to every row.
 */
export function emitGemm(fnName: string, transA: boolean, shape: GemmShape): FuncBuilder {
  const { mr: MR, nr: NR, unroll: U, fma } = shape;
  const NV = NR / 4;
  const f = new FuncBuilder(fnName, [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const [a, lda, bp, c, ldc, m, n, k, beta, bias] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const lda4 = f.local(I32);
  const ldc4 = f.local(I32);
  const i = f.local(I32);
  const j = f.local(I32);
  const kk = f.local(I32);
  const pb = f.local(I32);
  const panel = f.local(I32);
  const panelBytes = f.local(I32);
  const cp = f.local(I32);
  const jj = f.local(I32);
  const arow = f.local(I32);
  const aptr = Array.from({ length: MR }, () => f.local(I32));
  const acc = Array.from({ length: MR * NV }, () => f.local(V128));
  const bv = Array.from({ length: NV }, () => f.local(V128));
  const s = f.local(V128);
  const t = f.local(F32);

  f.get(lda).i32(4).op(Op.i32Mul).set(lda4);
  f.get(ldc).i32(4).op(Op.i32Mul).set(ldc4);
  f.get(k)
    .i32(NR * 4)
    .op(Op.i32Mul)
    .set(panelBytes);

  const step = (mr: number, u: number): void => {
    for (let v = 0; v < NV; v++)
      f.get(pb)
        .simdMem(Simd.load, (u * NR + 4 * v) * 4)
        .set(bv[v]!);
    for (let r = 0; r < mr; r++) {
      if (transA)
        f.get(aptr[0]!)
          .simdMem(Simd.load32Splat, r * 4)
          .set(s);
      else
        f.get(aptr[r]!)
          .simdMem(Simd.load32Splat, u * 4)
          .set(s);
      for (let v = 0; v < NV; v++) {
        const x = acc[r * NV + v]!;
        if (fma) f.get(s).get(bv[v]!).get(x).simd(Simd.f32x4RelaxedMadd).set(x);
        else f.get(x).get(s).get(bv[v]!).simd(Simd.f32x4Mul).simd(Simd.f32x4Add).set(x);
      }
    }
    if (transA) f.inc(aptr[0]!, () => f.get(lda4));
  };

  const kLoop = (mr: number, u: number): void => {
    f.get(kk).i32(u).op(Op.i32GeS);
    f.ifElse(() => {
      f.doWhile(
        () => {
          for (let q = 0; q < u; q++) step(mr, q);
          if (!transA) for (let r = 0; r < mr; r++) f.inc(aptr[r]!, u * 4);
          f.inc(pb, u * NR * 4);
          f.inc(kk, -u);
        },
        () => f.get(kk).i32(u).op(Op.i32GeS),
      );
    });
  };

  const tile = (mr: number): void => {
    f.get(bias);
    f.ifElse(
      () => {
        for (let v = 0; v < NV; v++)
          f.get(bias)
            .get(j)
            .i32(4)
            .op(Op.i32Mul, Op.i32Add)
            .simdMem(Simd.load, v * 16)
            .set(bv[v]!);
        for (let r = 0; r < mr; r++) for (let v = 0; v < NV; v++) f.get(bv[v]!).set(acc[r * NV + v]!);
      },
      () => {
        for (let x = 0; x < mr * NV; x++)
          f.simd(Simd.const)
            .op(...new Array<number>(16).fill(0))
            .set(acc[x]!);
      },
    );
    if (transA) f.get(arow).set(aptr[0]!);
    else for (let r = 0; r < mr; r++) f.get(arow).i32(r).get(lda4).op(Op.i32Mul, Op.i32Add).set(aptr[r]!);
    f.get(panel).set(pb);
    f.get(k).set(kk);
    if (U > 1) kLoop(mr, U);
    kLoop(mr, 1);
    // store: C row r at c + (i+r)*ldc4 + j*4
    f.get(c).get(i).get(ldc4).op(Op.i32Mul, Op.i32Add).get(j).i32(4).op(Op.i32Mul, Op.i32Add).set(cp);
    f.get(n).get(j).op(Op.i32Sub).i32(NR).op(Op.i32GeS);
    f.ifElse(
      () => {
        const storeAll = (accumulate: boolean): void => {
          for (let r = 0; r < mr; r++) {
            for (let v = 0; v < NV; v++) {
              const x = acc[r * NV + v]!;
              f.get(cp);
              if (r > 0) f.i32(r).get(ldc4).op(Op.i32Mul, Op.i32Add).tee(jj);
              if (accumulate) {
                f.get(r > 0 ? jj : cp).simdMem(Simd.load, v * 16);
                f.get(x).simd(Simd.f32x4Add);
              } else f.get(x);
              f.simdMem(Simd.store, v * 16);
            }
          }
        };
        f.get(beta);
        f.ifElse(
          () => storeAll(true),
          () => storeAll(false),
        );
      },
      () => {
        for (let x = 0; x < mr * NV; x++)
          f.i32(0)
            .get(acc[x]!)
            .simdMem(Simd.store, x * 16);
        for (let r = 0; r < mr; r++) {
          f.i32(0).set(jj);
          f.doWhile(
            () => {
              // t = scratch[r*NR + jj]
              f.get(jj)
                .i32(4)
                .op(Op.i32Mul)
                .mem(Op.f32Load, r * NR * 4)
                .set(t);
              f.get(cp).i32(r).get(ldc4).op(Op.i32Mul, Op.i32Add).get(jj).i32(4).op(Op.i32Mul, Op.i32Add);
              f.get(beta);
              f.ifElse(() => {
                f.get(cp).i32(r).get(ldc4).op(Op.i32Mul, Op.i32Add).get(jj).i32(4).op(Op.i32Mul, Op.i32Add);
                f.mem(Op.f32Load, 0).get(t).op(Op.f32Add).set(t);
              });
              f.get(t).mem(Op.f32Store, 0);
              f.inc(jj, 1);
            },
            () => f.get(jj).get(n).get(j).op(Op.i32Sub, Op.i32LtS),
          );
        }
      },
    );
  };

  const rowBlock = (mr: number): void => {
    // arow = a + i*lda4 (normal) or a + i*4 (transposed)
    f.get(a).get(i);
    if (transA) f.i32(4).op(Op.i32Mul, Op.i32Add);
    else f.get(lda4).op(Op.i32Mul, Op.i32Add);
    f.set(arow);
    f.i32(0).set(j);
    f.get(bp).set(panel);
    f.doWhile(
      () => {
        tile(mr);
        f.inc(j, NR);
        f.inc(panel, () => f.get(panelBytes));
      },
      () => f.get(j).get(n).op(Op.i32LtS),
    );
  };

  f.i32(0).set(i);
  // full MR row blocks
  f.block(() => {
    f.get(m).i32(MR).op(Op.i32LtS, Op.brIf, 0);
    f.doWhile(
      () => {
        rowBlock(MR);
        f.inc(i, MR);
      },
      () => f.get(m).get(i).op(Op.i32Sub).i32(MR).op(Op.i32GeS),
    );
  });
  // remainder rows
  for (let mr = MR - 1; mr >= 1; mr--) {
    f.get(m).get(i).op(Op.i32Sub).i32(mr).op(Op.i32Eq);
    f.ifElse(() => rowBlock(mr));
  }
  return f;
}

/**
 * `packB(b, ldb, k, n, dst)` (B(p,j) = b[p*ldb+j]) or `packBT` (B(p,j) = b[j*ldb+p]) into NR-column panels.
 */
export function emitPackB(fnName: string, transB: boolean, nr: number): FuncBuilder {
  const f = new FuncBuilder(fnName, [I32, I32, I32, I32, I32]);
  const [b, ldb, k, n, dst] = [0, 1, 2, 3, 4];
  const p = f.local(I32);
  const j = f.local(I32);
  const col = f.local(I32);
  const out = f.local(I32);
  const v = f.local(F32);
  f.get(dst).set(out);
  f.i32(0).set(j);
  f.block(() => {
    f.get(n).op(Op.i32Eqz, Op.brIf, 0);
    f.get(k).op(Op.i32Eqz, Op.brIf, 0);
    f.doWhile(
      () => {
        // panel starting at column j
        f.i32(0).set(p);
        f.doWhile(
          () => {
            for (let q = 0; q < nr; q++) {
              f.get(j).i32(q).op(Op.i32Add).tee(col).get(n).op(Op.i32LtS);
              f.ifElse(
                () => {
                  if (transB) f.get(col).get(ldb).op(Op.i32Mul).get(p).op(Op.i32Add);
                  else f.get(p).get(ldb).op(Op.i32Mul).get(col).op(Op.i32Add);
                  f.i32(4).op(Op.i32Mul).get(b).op(Op.i32Add).mem(Op.f32Load, 0).set(v);
                },
                () => f.f32(0).set(v),
              );
              f.get(out)
                .get(v)
                .mem(Op.f32Store, q * 4);
            }
            f.inc(out, nr * 4);
            f.inc(p, 1);
          },
          () => f.get(p).get(k).op(Op.i32LtS),
        );
        f.inc(j, nr);
      },
      () => f.get(j).get(n).op(Op.i32LtS),
    );
  });
  return f;
}

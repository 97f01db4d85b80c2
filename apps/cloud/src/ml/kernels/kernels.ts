/** The wasm SIMD kernels, assembled once per process and instantiated per arena. */
import type { Arena, Buf } from './arena.js';
import { type WasmModule, wasm } from './wasm/api.js';
import { assemble } from './wasm/assembler.js';
import {
  emitChannelAffine,
  emitChannelSums,
  emitDepthwiseBackward,
  emitDepthwiseForward,
} from './wasm/channel.js';
import { emitGemm, emitPackB, type GemmShape } from './wasm/gemm.js';
import { emitIm2col } from './wasm/im2col.js';
import { emitRelu } from './wasm/relu.js';
import { emitMaxPool } from './wasm/window.js';

/** Register tile of the GEMM micro-kernel (4 rows x 8 columns; see bench/train.ts for the choice). */
export const GEMM_SHAPE: GemmShape = { mr: 4, nr: 8, unroll: 4, fma: false };
export const NR = GEMM_SHAPE.nr;

let compiled: WasmModule | null = null;

function module(): WasmModule {
  if (!compiled) {
    const bytes = assemble(
      [
        emitGemm('gemm_nn', false, GEMM_SHAPE),
        emitGemm('gemm_tn', true, GEMM_SHAPE),
        emitPackB('pack_b', false, NR),
        emitPackB('pack_bt', true, NR),
        ...emitRelu(),
        emitMaxPool(false),
        emitMaxPool(true),
        emitIm2col(false),
        emitIm2col(true),
        emitDepthwiseForward(),
        emitDepthwiseBackward(true, true),
        emitDepthwiseBackward(true, false),
        emitDepthwiseBackward(false, true),
        emitChannelSums(false),
        emitChannelSums(true),
        emitChannelAffine(false),
        emitChannelAffine(true),
      ],
      { initialPages: 1 },
    );
    compiled = new wasm.Module(bytes);
  }
  return compiled;
}

type GemmFn = (
  a: number,
  lda: number,
  bp: number,
  c: number,
  ldc: number,
  m: number,
  n: number,
  k: number,
  beta: number,
  bias: number,
) => void;
type PackFn = (b: number, ldb: number, k: number, n: number, dst: number) => void;
type Fn = (...args: number[]) => void;

/** NHWC window geometry as the wasm kernels take it (1-D ops use h = 1). */
export interface WindowGeometry {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly oh: number;
  readonly ow: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly dh: number;
  readonly dw: number;
  readonly padT: number;
  readonly padL: number;
}

function geo(g: WindowGeometry, n: number): number[] {
  return [n, g.h, g.w, g.c, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.padT, g.padL];
}

/** A depthwise / average-pool window as a table of valid taps per output pixel (see `tapTable`). */
export interface TapTable {
  /** Output pixels per sample. */
  readonly pix: number;
  /** Floats per input sample. */
  readonly inSize: number;
  readonly c: number;
  /** (input byte offset, weight byte offset) i32 pairs. */
  readonly tbl: Buf;
  /** pix + 1 entry indices into `tbl`. */
  readonly starts: Buf;
}

/**
 * Build the tap table of a window in `arena`: `weightOf(ky, kx, oy, ox)` gives the weight row (in
 * units of `c` floats) each valid tap reads.
 */
export function tapTable(
  arena: Arena,
  g: WindowGeometry,
  weightOf: (ky: number, kx: number, oy: number, ox: number) => number,
): TapTable {
  const pairs: number[] = [];
  const starts: number[] = [0];
  for (let oy = 0; oy < g.oh; oy++) {
    for (let ox = 0; ox < g.ow; ox++) {
      for (let ky = 0; ky < g.kh; ky++) {
        const iy = oy * g.sh - g.padT + ky * g.dh;
        if (iy < 0 || iy >= g.h) continue;
        for (let kx = 0; kx < g.kw; kx++) {
          const ix = ox * g.sw - g.padL + kx * g.dw;
          if (ix < 0 || ix >= g.w) continue;
          pairs.push((iy * g.w + ix) * g.c * 4, weightOf(ky, kx, oy, ox) * g.c * 4);
        }
      }
      starts.push(pairs.length / 2);
    }
  }
  const tbl = arena.alloc(Math.max(1, pairs.length));
  const st = arena.alloc(starts.length);
  new Int32Array(tbl.f32.buffer, tbl.ptr, pairs.length).set(pairs);
  new Int32Array(st.f32.buffer, st.ptr, starts.length).set(starts);
  return { pix: g.oh * g.ow, inSize: g.h * g.w * g.c, c: g.c, tbl, starts: st };
}

/** Floats needed to pack a k x n B matrix into NR-column panels. */
export function packedSize(k: number, n: number): number {
  return Math.ceil(n / NR) * NR * k;
}

/** Pointer-level matrix kernels over one arena (all matrices row-major float32). */
export class Kernels {
  private readonly gemmNN: GemmFn;
  private readonly gemmTN: GemmFn;
  private readonly packB: PackFn;
  private readonly packBT: PackFn;
  private readonly fn: Record<string, Fn>;

  constructor(readonly arena: Arena) {
    const inst = new wasm.Instance(module(), { env: { memory: arena.memory } });
    const ex = inst.exports as Record<string, unknown>;
    this.gemmNN = ex.gemm_nn as GemmFn;
    this.gemmTN = ex.gemm_tn as GemmFn;
    this.packB = ex.pack_b as PackFn;
    this.packBT = ex.pack_bt as PackFn;
    this.fn = ex as Record<string, Fn>;
  }

  /** y = min(max(x, 0), hi) over `len` floats. */
  relu(x: Buf, y: Buf, len: number, hi: number): void {
    this.fn.relu_fwd!(x.ptr, y.ptr, len, hi);
  }

  /** dx = dy where 0 < x < hi, else 0. */
  reluBackward(x: Buf, dy: Buf, dx: Buf, len: number, hi: number): void {
    this.fn.relu_bwd!(x.ptr, dy.ptr, dx.ptr, len, hi);
  }

  maxPool(g: WindowGeometry, x: Buf, y: Buf, n: number): void {
    this.fn.maxpool_fwd!(x.ptr, y.ptr, ...geo(g, n));
  }

  /** dx (overwritten): dy routed to the first input equal to each window's maximum. */
  maxPoolBackward(g: WindowGeometry, x: Buf, y: Buf, dy: Buf, dx: Buf, n: number): void {
    this.fn.maxpool_bwd!(x.ptr, y.ptr, dy.ptr, dx.ptr, ...geo(g, n));
  }

  im2col(g: WindowGeometry, x: Buf, cols: Buf, n: number): void {
    this.fn.im2col!(x.ptr, cols.ptr, ...geo(g, n));
  }

  /** dx (overwritten) = the scatter-add of dcols. */
  col2im(g: WindowGeometry, dcols: Buf, dx: Buf, n: number): void {
    this.fn.col2im!(dcols.ptr, dx.ptr, ...geo(g, n));
  }

  /**
   * Depthwise window over a tap table (see `wasm/channel.ts`): y = bias + Σ_taps x·w for `pix`
   * output pixels of each of `n` samples of `inSize` floats; `c` channels.
   */
  tapForward(t: TapTable, x: Buf, y: Buf, w: Buf, bias: Buf, n: number): void {
    this.fn.dw_fwd!(x.ptr, y.ptr, w.ptr, bias.ptr, n, t.pix, t.inSize * 4, t.c, t.tbl.ptr, t.starts.ptr);
  }

  /** gw += Σ x·dy and / or dx += scatter of w·dy (the caller zeroes them first). */
  tapBackward(t: TapTable, x: Buf, dy: Buf, w: Buf, gw: Buf | null, dx: Buf | null, n: number): void {
    if (!gw && !dx) return;
    const name = gw && dx ? 'dw_bwd' : gw ? 'dw_bwd_w' : 'dw_bwd_x';
    this.fn[name]!(
      x.ptr,
      dy.ptr,
      w.ptr,
      gw?.ptr ?? 0,
      dx?.ptr ?? 0,
      n,
      t.pix,
      t.inSize * 4,
      t.c,
      t.tbl.ptr,
      t.starts.ptr,
    );
  }

  /**
   * Per-channel sums over rows [r0, r1) of a [rows, c] matrix, overwriting `sum` and `second`:
   * `dot` false: Σ(a − other) and Σ(a − other)² (`other` a [c] pivot); true: Σa and Σa·other.
   */
  channelSums(
    a: Buf,
    other: Buf,
    sum: Buf,
    second: Buf,
    r0: number,
    r1: number,
    c: number,
    dot: boolean,
  ): void {
    this.fn[dot ? 'bn_sums_dot' : 'bn_sums_sq']!(a.ptr, other.ptr, sum.ptr, second.ptr, r0, r1, c);
  }

  /** out = a·A + C per channel over `rows` rows of `c`. */
  affine(a: Buf, out: Buf, A: Buf, C: Buf, rows: number, c: number): void {
    this.fn.chan_affine!(a.ptr, out.ptr, A.ptr, C.ptr, rows, c);
  }

  /** out = a·A + b·B + C per channel over `rows` rows of `c`. */
  affine2(a: Buf, b: Buf, out: Buf, A: Buf, B: Buf, C: Buf, rows: number, c: number): void {
    this.fn.chan_affine2!(a.ptr, b.ptr, out.ptr, A.ptr, B.ptr, C.ptr, rows, c);
  }

  /** Pack B [k, n] (row stride ldb) for `gemm`; `transposed` reads B(p, j) from b[j*ldb + p]. */
  pack(b: Buf, ldb: number, k: number, n: number, dst: Buf, transposed = false): void {
    (transposed ? this.packBT : this.packB)(b.ptr, ldb, k, n, dst.ptr);
  }

  /**
   * C[m, n] (+)= A[m, k] · B where B was packed by `pack`. With `transA`, A(i, p) is a[p*lda + i].
   * `bias` (padded to a multiple of NR) is added to every row.
   */
  gemm(
    a: Buf,
    lda: number,
    bPacked: Buf,
    c: Buf,
    ldc: number,
    m: number,
    n: number,
    k: number,
    o: { transA?: boolean; accumulate?: boolean; bias?: Buf | null; aOffset?: number; cOffset?: number } = {},
  ): void {
    const fn = o.transA ? this.gemmTN : this.gemmNN;
    fn(
      a.ptr + (o.aOffset ?? 0) * 4,
      lda,
      bPacked.ptr,
      c.ptr + (o.cOffset ?? 0) * 4,
      ldc,
      m,
      n,
      k,
      o.accumulate ? 1 : 0,
      o.bias ? o.bias.ptr : 0,
    );
  }
}

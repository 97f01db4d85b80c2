/**
 * conv2d and conv1d (as conv2d with H = 1) by im2col + the wasm GEMM.
 * Forward: Y[M, Cout] = cols[M, K] · W[K, Cout] + b, with M = n·OH·OW, K = KH·KW·Cin.
 * Backward: dW = colsᵀ · dY; db = 1ᵀ · dY; dcols = dY · Wᵀ, then col2im.
 * A 1x1, stride-1 convolution uses the input itself as `cols`.
 */
import type { Conv1DNode, Conv2DNode } from '../../graph/types.js';
import type { Buf } from '../../kernels/arena.js';
import { NR, packedSize } from '../../kernels/kernels.js';
import type { Layer, LayerContext } from '../layer.js';
import { geometry } from './geometry.js';

/** Rows of the dW reduction per chunk. */
const KC = 256;

export function convLayer(ctx: LayerContext<Conv2DNode | Conv1DNode>): Layer {
  const { node, kernels, arena, capacity } = ctx;
  const a = node.attrs;
  const g = geometry(ctx.inShapes[0]!, a.kernel, a.strides, a.dilation, a.padding);
  const cout = a.filters;
  const K = g.kh * g.kw * g.c;
  const rowsPer = g.oh * g.ow;
  const direct = g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1;
  const x = ctx.x[0]!;
  const cols: Buf = direct ? x : arena.alloc(capacity * rowsPer * K);
  const wPack = arena.alloc(packedSize(K, cout));
  const biasPad = arena.alloc(Math.ceil(cout / NR) * NR);
  const hasBias = ctx.p.bias !== undefined;
  const train = ctx.training;
  // dW = colsᵀ·dY reduces over all m = n·OH·OW rows: done in chunks of KC rows (packed one at a time)
  // so a chunk of cols and of packed dY stays in cache across the output tiles
  const dyPack = train ? arena.alloc(packedSize(Math.min(KC, capacity * rowsPer), cout)) : null;
  const ones = train && hasBias ? arena.alloc(capacity * rowsPer) : null;
  ones?.f32.fill(1);
  const dx = ctx.dx[0] ?? null;
  const wtPack = dx ? arena.alloc(packedSize(cout, K)) : null;
  const dcols = dx && !direct ? arena.alloc(capacity * rowsPer * K) : null;

  return {
    forward(n) {
      if (!direct) kernels.im2col(g, x, cols, n);
      kernels.pack(ctx.p.weight!, cout, K, cout, wPack);
      if (hasBias) biasPad.f32.set(ctx.p.bias!.f32);
      kernels.gemm(cols, K, wPack, ctx.y, cout, n * rowsPer, cout, K, { bias: hasBias ? biasPad : null });
    },
    backward(n) {
      const m = n * rowsPer;
      for (let p0 = 0; p0 < m; p0 += KC) {
        const kc = Math.min(KC, m - p0);
        const o = { transA: true, accumulate: p0 > 0, aOffset: p0 * K };
        kernels.pack(ctx.dy!.slice(p0 * cout, kc * cout), cout, kc, cout, dyPack!);
        kernels.gemm(cols, K, dyPack!, ctx.g.weight!, cout, K, cout, kc, o);
        if (hasBias && ctx.g.bias)
          kernels.gemm(ones!, 1, dyPack!, ctx.g.bias, cout, 1, cout, kc, { ...o, aOffset: p0 });
      }
      if (!dx) return;
      kernels.pack(ctx.p.weight!, cout, cout, K, wtPack!, true);
      if (direct) {
        kernels.gemm(ctx.dy!, cout, wtPack!, dx, K, m, K, cout);
      } else {
        kernels.gemm(ctx.dy!, cout, wtPack!, dcols!, K, m, K, cout);
        kernels.col2im(g, dcols!, dx, n);
      }
    },
  };
}

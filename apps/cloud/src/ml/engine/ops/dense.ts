/** dense: Y[n, out] = X[n, in] · W[in, out] + b; dW = Xᵀ · dY; db = 1ᵀ · dY; dX = dY · Wᵀ. */
import type { DenseNode } from '../../graph/types.js';
import { NR, packedSize } from '../../kernels/kernels.js';
import type { Layer, LayerContext } from '../layer.js';

export function denseLayer(ctx: LayerContext<DenseNode>): Layer {
  const { kernels, arena, capacity } = ctx;
  const fin = ctx.inShapes[0]![0]!;
  const fout = ctx.node.attrs.units;
  const x = ctx.x[0]!;
  const hasBias = ctx.p.bias !== undefined;
  const wPack = arena.alloc(packedSize(fin, fout));
  const biasPad = arena.alloc(Math.ceil(fout / NR) * NR);
  const dyPack = ctx.training ? arena.alloc(packedSize(capacity, fout)) : null;
  const ones = ctx.training && hasBias ? arena.alloc(capacity) : null;
  ones?.f32.fill(1);
  const dx = ctx.dx[0] ?? null;
  const wtPack = dx ? arena.alloc(packedSize(fout, fin)) : null;
  return {
    forward(n) {
      kernels.pack(ctx.p.weight!, fout, fin, fout, wPack);
      if (hasBias) biasPad.f32.set(ctx.p.bias!.f32);
      kernels.gemm(x, fin, wPack, ctx.y, fout, n, fout, fin, { bias: hasBias ? biasPad : null });
    },
    backward(n) {
      kernels.pack(ctx.dy!, fout, n, fout, dyPack!);
      kernels.gemm(x, fin, dyPack!, ctx.g.weight!, fout, fin, fout, n, { transA: true });
      if (hasBias && ctx.g.bias)
        kernels.gemm(ones!, 1, dyPack!, ctx.g.bias, fout, 1, fout, n, { transA: true });
      if (!dx) return;
      kernels.pack(ctx.p.weight!, fout, fout, fin, wtPack!, true);
      kernels.gemm(ctx.dy!, fout, wtPack!, dx, fin, n, fin, fout);
    },
  };
}

/**
 * im2col(x, cols, ...geo): one row of `cols` per output pixel, columns ordered (kh, kw, c), zeros for
 * padding. col2im(dcols, dx, ...geo): the adjoint (scatter-add; dx is overwritten).
 */
import { FuncBuilder, I32, Op } from './assembler.js';
import { GEO, geoParams, run } from './window.js';

export function emitIm2col(adjoint: boolean): FuncBuilder {
  const f = new FuncBuilder(adjoint ? 'col2im' : 'im2col', new Array<typeof I32>(2 + GEO.length).fill(I32));
  // im2col: (x, cols); col2im: (dcols, dx). `img` is the NHWC tensor, `col` the matrix.
  const img = adjoint ? 1 : 0;
  const col = adjoint ? 0 : 1;
  const g = geoParams(2);
  const { b, oy, ox, ky, kx, iy, ix, ix0, c4, cp, rowp, src, dst, imgBase } = f.named(I32, [
    'b',
    'oy',
    'ox',
    'ky',
    'kx',
    'iy',
    'ix',
    'ix0',
    'c4',
    'cp',
    'rowp',
    'src',
    'dst',
    'imgBase',
  ]);
  const t = { p: f.local(I32), end: f.local(I32) };
  f.get(g.c).i32(4).op(Op.i32Mul).set(c4);
  if (adjoint) {
    run(
      f,
      'zero',
      img,
      img,
      () => f.get(g.n).get(g.h).op(Op.i32Mul).get(g.w).op(Op.i32Mul).get(c4).op(Op.i32Mul),
      t,
    );
  }
  // move `len` bytes between the image at `imgPtr` and the column matrix at `cp`
  const move = (imgPtr: () => void, lenBytes: () => void): void => {
    imgPtr();
    if (adjoint) {
      f.set(dst);
      f.get(cp).set(src);
      run(f, 'add', dst, src, lenBytes, t);
    } else {
      f.set(src);
      f.get(cp).set(dst);
      run(f, 'copy', dst, src, lenBytes, t);
    }
  };
  const zero = (lenBytes: () => void): void => {
    if (adjoint) return;
    f.get(cp).set(dst);
    run(f, 'zero', dst, dst, lenBytes, t);
  };
  f.get(col).set(cp);
  f.forLoop(
    b,
    () => f.i32(0),
    () => f.get(g.n),
    () => {
      f.get(img)
        .get(b)
        .get(g.h)
        .op(Op.i32Mul)
        .get(g.w)
        .op(Op.i32Mul)
        .get(c4)
        .op(Op.i32Mul, Op.i32Add)
        .set(imgBase);
      f.forLoop(
        oy,
        () => f.i32(0),
        () => f.get(g.oh),
        () =>
          f.forLoop(
            ox,
            () => f.i32(0),
            () => f.get(g.ow),
            () => {
              f.get(ox).get(g.sw).op(Op.i32Mul).get(g.padL).op(Op.i32Sub).set(ix0);
              f.forLoop(
                ky,
                () => f.i32(0),
                () => f.get(g.kh),
                () => {
                  f.get(oy)
                    .get(g.sh)
                    .op(Op.i32Mul)
                    .get(g.padT)
                    .op(Op.i32Sub)
                    .get(ky)
                    .get(g.dh)
                    .op(Op.i32Mul, Op.i32Add);
                  f.tee(iy).i32(0).op(Op.i32LtS).get(iy).get(g.h).op(Op.i32GeS, Op.i32Or);
                  f.ifElse(
                    () => {
                      zero(() => f.get(g.kw).get(c4).op(Op.i32Mul));
                      f.inc(cp, () => f.get(g.kw).get(c4).op(Op.i32Mul));
                    },
                    () => {
                      f.get(imgBase)
                        .get(iy)
                        .get(g.w)
                        .op(Op.i32Mul)
                        .get(c4)
                        .op(Op.i32Mul, Op.i32Add)
                        .set(rowp);
                      // whole row of taps in range and contiguous?
                      f.get(g.dw).i32(1).op(Op.i32Eq);
                      f.get(ix0).i32(0).op(Op.i32GeS, 0x71);
                      f.get(ix0).get(g.kw).op(Op.i32Add).get(g.w).op(Op.i32LeS, 0x71);
                      f.ifElse(
                        () => {
                          move(
                            () => f.get(rowp).get(ix0).get(c4).op(Op.i32Mul, Op.i32Add),
                            () => f.get(g.kw).get(c4).op(Op.i32Mul),
                          );
                          f.inc(cp, () => f.get(g.kw).get(c4).op(Op.i32Mul));
                        },
                        () =>
                          f.forLoop(
                            kx,
                            () => f.i32(0),
                            () => f.get(g.kw),
                            () => {
                              f.get(ix0).get(kx).get(g.dw).op(Op.i32Mul, Op.i32Add);
                              f.tee(ix).i32(0).op(Op.i32LtS).get(ix).get(g.w).op(Op.i32GeS, Op.i32Or);
                              f.ifElse(
                                () => zero(() => f.get(c4)),
                                () =>
                                  move(
                                    () => f.get(rowp).get(ix).get(c4).op(Op.i32Mul, Op.i32Add),
                                    () => f.get(c4),
                                  ),
                              );
                              f.inc(cp, () => f.get(c4));
                            },
                          ),
                      );
                    },
                  );
                },
              );
            },
          ),
      );
    },
  );
  return f;
}

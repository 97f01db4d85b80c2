import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import type { ZooOptions } from './options.js';

/**
 * A small MobileNetV2: stem conv 3x3 s2 + BN + ReLU6, inverted-residual blocks (1x1 expand x6,
 * depthwise 3x3, linear 1x1 projection; residual when shape is kept), 1x1 head, global pooling,
 * dense. `width` multiplies channels (1.0), `depth` = blocks per stage (2). 2-D input only;
 * `[T, C]` input is read as `[T, C, 1]`.
 */
export function mobileNetV2(o: ZooOptions): Graph {
  const alpha = o.width ?? 1;
  const depth = o.depth ?? 2;
  const ch = (c: number): number => Math.max(4, Math.round((c * alpha) / 4) * 4);
  const b = new GraphBuilder('mobilenet-v2', o.inputShape, o.seed ?? 0);
  let x = b.input;
  if (o.inputShape.length === 2) x = b.reshape(x, [o.inputShape[0]!, o.inputShape[1]!, 1], 'to_image');
  x = b.conv2d(x, ch(16), 3, { strides: 2, bias: false }, 'stem');
  x = b.relu6(b.batchNorm(x, 'stem_bn'), 'stem_relu');
  const stages: Array<[expand: number, channels: number, stride: number]> = [
    [1, 8, 1],
    [6, 16, 2],
    [6, 24, 2],
    [6, 32, 1],
  ];
  let block = 0;
  stages.forEach(([t, c, s], si) => {
    const blocks = si === 0 ? 1 : depth;
    for (let i = 0; i < blocks; i++) {
      block++;
      const name = `b${block}`;
      const cin = b.shape(x)[2]!;
      const cout = ch(c);
      const stride = i === 0 ? s : 1;
      let y = x;
      if (t !== 1)
        y = b.relu6(
          b.batchNorm(b.conv2d(y, cin * t, 1, { bias: false }, `${name}_expand`), `${name}_expand_bn`),
        );
      y = b.relu6(
        b.batchNorm(b.depthwise(y, 3, { strides: stride, bias: false }, `${name}_dw`), `${name}_dw_bn`),
      );
      y = b.batchNorm(b.conv2d(y, cout, 1, { bias: false }, `${name}_project`), `${name}_project_bn`);
      x = stride === 1 && cin === cout ? b.addN([x, y], `${name}_add`) : y;
    }
  });
  x = b.relu6(b.batchNorm(b.conv2d(x, ch(64), 1, { bias: false }, 'head'), 'head_bn'), 'head_relu');
  x = b.globalAvgPool(x, 'gap');
  if (o.dropout) x = b.dropout(x, o.dropout, 'drop');
  return b.build([b.dense(x, o.classes, 'fc')]);
}

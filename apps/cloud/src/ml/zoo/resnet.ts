import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import type { ZooOptions } from './options.js';

/**
 * A small ResNet (CIFAR style): stem conv 3x3 + BN + ReLU, three stages of `depth` basic blocks
 * (two 3x3 convs with BN, identity or 1x1-projection shortcut, ReLU after the add) with
 * `width`, 2·width, 4·width channels (16), the last two stages starting with stride 2; global
 * pooling, dense. `[T, C]` input is read as `[T, C, 1]`.
 */
export function resNet(o: ZooOptions): Graph {
  const width = o.width ?? 16;
  const depth = o.depth ?? 1;
  const b = new GraphBuilder('resnet', o.inputShape, o.seed ?? 0);
  let x = b.input;
  if (o.inputShape.length === 2) x = b.reshape(x, [o.inputShape[0]!, o.inputShape[1]!, 1], 'to_image');
  x = b.relu(b.batchNorm(b.conv2d(x, width, 3, { bias: false }, 'stem'), 'stem_bn'), 'stem_relu');
  for (let s = 0; s < 3; s++) {
    const c = width * 2 ** s;
    for (let i = 0; i < depth; i++) {
      const n = `s${s + 1}b${i + 1}`;
      const stride = s > 0 && i === 0 ? 2 : 1;
      let y = b.relu(
        b.batchNorm(b.conv2d(x, c, 3, { strides: stride, bias: false }, `${n}_conv1`), `${n}_bn1`),
      );
      y = b.batchNorm(b.conv2d(y, c, 3, { bias: false }, `${n}_conv2`), `${n}_bn2`);
      const shortcut =
        stride === 1 && b.shape(x)[2] === c
          ? x
          : b.batchNorm(b.conv2d(x, c, 1, { strides: stride, bias: false }, `${n}_proj`), `${n}_proj_bn`);
      x = b.relu(b.addN([shortcut, y], `${n}_add`), `${n}_relu`);
    }
  }
  x = b.globalAvgPool(x, 'gap');
  if (o.dropout) x = b.dropout(x, o.dropout, 'drop');
  return b.build([b.dense(x, o.classes, 'fc')]);
}

import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';
import type { ZooOptions } from './options.js';

/**
 * DS-CNN (depthwise-separable CNN, "Hello Edge" keyword spotting). On `[T, C]` input (MFCC frames,
 * sensor windows) the features are read as a one-channel image `[T, C, 1]` with a 10x4 stem; on images
 * the stem is 3x3. Then `depth` blocks of depthwise 3x3 + pointwise 1x1 (each BN + ReLU), global
 * average pooling and a dense classifier. `width` = channels (64).
 */
export function dsCnn(o: ZooOptions): Graph {
  const width = o.width ?? 64;
  const depth = o.depth ?? 4;
  const b = new GraphBuilder('ds-cnn', o.inputShape, o.seed ?? 0);
  let x = b.input;
  const audio = o.inputShape.length === 2;
  if (audio) x = b.reshape(x, [o.inputShape[0]!, o.inputShape[1]!, 1], 'to_image');
  const stemKernel: [number, number] = audio
    ? [Math.min(10, o.inputShape[0]!), Math.min(4, o.inputShape[1]!)]
    : [3, 3];
  x = b.conv2d(x, width, stemKernel, { strides: 2, bias: false }, 'stem');
  x = b.relu(b.batchNorm(x, 'stem_bn'), 'stem_relu');
  for (let i = 1; i <= depth; i++) {
    x = b.depthwise(x, 3, { bias: false }, `dw${i}`);
    x = b.relu(b.batchNorm(x, `dw${i}_bn`), `dw${i}_relu`);
    x = b.conv2d(x, width, 1, { bias: false }, `pw${i}`);
    x = b.relu(b.batchNorm(x, `pw${i}_bn`), `pw${i}_relu`);
  }
  x = b.globalAvgPool(x, 'gap');
  if (o.dropout) x = b.dropout(x, o.dropout, 'drop');
  return b.build([b.dense(x, o.classes, 'fc')]);
}

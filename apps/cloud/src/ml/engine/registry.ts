/** op -> layer implementation. flatten and reshape are aliases handled by the plan. */
import type { Node } from '../graph/types.js';
import type { Layer, LayerContext } from './layer.js';
import { reluLayer, softmaxLayer } from './ops/activation.js';
import { batchNormLayer } from './ops/batchnorm.js';
import { convLayer } from './ops/conv.js';
import { denseLayer } from './ops/dense.js';
import { depthwiseLayer } from './ops/depthwise.js';
import { fakeQuantLayer, fakeQuantOf } from './ops/fake-quant.js';
import { globalAvgPoolLayer, poolLayer } from './ops/pool.js';
import { addLayer, concatLayer, dropoutLayer } from './ops/structural.js';

export const ALIAS_OPS: ReadonlySet<string> = new Set(['flatten', 'reshape']);

export function createLayer(ctx: LayerContext): Layer {
  const fq = fakeQuantOf(ctx.node);
  return fq ? fakeQuantLayer(ctx, fq, opLayer) : opLayer(ctx);
}

function opLayer(ctx: LayerContext): Layer {
  const node: Node = ctx.node;
  switch (node.op) {
    case 'conv2d':
    case 'conv1d':
      return convLayer({ ...ctx, node });
    case 'depthwiseConv2d':
      return depthwiseLayer({ ...ctx, node });
    case 'dense':
      return denseLayer({ ...ctx, node });
    case 'batchNorm':
      return batchNormLayer({ ...ctx, node });
    case 'relu':
    case 'relu6':
      return reluLayer({ ...ctx, node });
    case 'softmax':
      return softmaxLayer({ ...ctx, node });
    case 'maxPool':
    case 'avgPool':
      return poolLayer({ ...ctx, node });
    case 'globalAvgPool':
      return globalAvgPoolLayer({ ...ctx, node });
    case 'add':
      return addLayer({ ...ctx, node });
    case 'concat':
      return concatLayer({ ...ctx, node });
    case 'dropout':
      return dropoutLayer({ ...ctx, node });
    case 'flatten':
    case 'reshape':
      return { forward() {}, backward() {} };
  }
}

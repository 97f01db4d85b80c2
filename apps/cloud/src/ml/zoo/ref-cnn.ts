import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/types.js';

export interface RefCnnOptions {
  readonly seed?: number;
  /** Filters of the first conv (16); the second has twice as many. */
  readonly width?: number;
  readonly classes?: number;
  readonly inputShape?: readonly number[];
}

/**
 * The reference CNN, exactly (at the defaults): Conv 3x3 1->16 valid, ReLU, MaxPool 2,
 * Conv 3x3 16->32 valid, ReLU, MaxPool 2, Flatten, Dense 800->10, on 28x28x1.
 */
export function refCnn(o: RefCnnOptions = {}): Graph {
  const w = o.width ?? 16;
  const b = new GraphBuilder('ref-cnn', o.inputShape ?? [28, 28, 1], o.seed ?? 0);
  let x = b.conv2d(b.input, w, 3, { padding: 'valid' }, 'conv1');
  x = b.relu(x, 'relu1');
  x = b.pool('maxPool', x, 2, {}, 'pool1');
  x = b.conv2d(x, 2 * w, 3, { padding: 'valid' }, 'conv2');
  x = b.relu(x, 'relu2');
  x = b.pool('maxPool', x, 2, {}, 'pool2');
  x = b.flatten(x, 'flatten');
  x = b.dense(x, o.classes ?? 10, 'fc');
  return b.build([x]);
}

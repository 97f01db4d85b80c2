import { describe, expect, it } from 'vitest';
import { refCnn } from '../zoo/ref-cnn.js';
import { GraphBuilder } from './builder.js';
import { GraphError } from './errors.js';
import { inferShapes } from './shapes.js';
import type { Graph, Node } from './types.js';

function expectGraphError(f: () => unknown, code: string, node?: string): GraphError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(GraphError);
    const g = e as GraphError;
    expect(g.code).toBe(code);
    if (node) {
      expect(g.node).toBe(node);
      expect(g.message).toContain(`"${node}"`);
    }
    return g;
  }
  throw new Error('expected a GraphError');
}

describe('shape inference', () => {
  it('infers the ref-cnn shapes', () => {
    const s = inferShapes(refCnn());
    expect(s.get('conv1')).toEqual([26, 26, 16]);
    expect(s.get('pool1')).toEqual([13, 13, 16]);
    expect(s.get('conv2')).toEqual([11, 11, 32]);
    expect(s.get('pool2')).toEqual([5, 5, 32]);
    expect(s.get('flatten')).toEqual([800]);
    expect(s.get('fc')).toEqual([10]);
  });

  it('handles same padding, strides, dilation and 1-D ops', () => {
    const b = new GraphBuilder('t', [7, 7, 3]);
    expect(b.shape(b.conv2d(b.input, 4, 3, { strides: 2 }))).toEqual([4, 4, 4]);
    expect(b.shape(b.conv2d(b.input, 4, 3, { dilation: 2, padding: 'valid' }))).toEqual([3, 3, 4]);
    const t = new GraphBuilder('t1', [20, 5]);
    const c = t.conv1d(t.input, 6, 5, { strides: 2, padding: 'valid' });
    expect(t.shape(c)).toEqual([8, 6]);
    expect(t.shape(t.pool('maxPool', c, 2))).toEqual([4, 6]);
    expect(t.shape(t.globalAvgPool(c))).toEqual([6]);
  });

  it('rejects a kernel larger than its input, naming node and shape', () => {
    const b = new GraphBuilder('t', [4, 4, 1]);
    const e = expectGraphError(
      () => b.conv2d(b.input, 2, 5, { padding: 'valid' }, 'big'),
      'SHAPE_MISMATCH',
      'big',
    );
    expect(e.message).toContain('[4, 4, 1]');
  });

  it('rejects dense on an unflattened input and mismatched add / concat', () => {
    const b = new GraphBuilder('t', [4, 4, 2]);
    expectGraphError(() => b.dense(b.input, 3, 'fc'), 'SHAPE_MISMATCH', 'fc');
    const c = b.conv2d(b.input, 3, 3);
    expectGraphError(() => b.addN([b.input, c], 'sum'), 'SHAPE_MISMATCH', 'sum');
    const p = b.pool('maxPool', b.input, 2);
    expectGraphError(() => b.concat([p, c], 'cat'), 'SHAPE_MISMATCH', 'cat');
  });

  it('rejects unknown inputs, duplicate names, wrong parameter shapes and bad attrs', () => {
    const g = refCnn();
    const withNode = (node: Node): Graph => ({ ...g, nodes: [...g.nodes, node] });
    expectGraphError(
      () => inferShapes(withNode({ name: 'r', op: 'relu', inputs: ['nope'], attrs: {}, params: {} })),
      'UNKNOWN_INPUT',
      'r',
    );
    expectGraphError(
      () => inferShapes(withNode({ ...g.nodes[0]!, inputs: ['input'] })),
      'DUPLICATE_NAME',
      'conv1',
    );
    const params = { ...g.params, 'fc.weight': { shape: [10, 800], data: new Float32Array(8000) } };
    expectGraphError(() => inferShapes({ ...g, params }), 'PARAM_SHAPE', 'fc');
    expectGraphError(
      () =>
        inferShapes(withNode({ name: 'd', op: 'dropout', inputs: ['fc'], attrs: { rate: 1.5 }, params: {} })),
      'BAD_ATTR',
      'd',
    );
    expectGraphError(() => inferShapes({ ...g, outputs: ['missing'] }), 'NO_OUTPUT');
  });
});

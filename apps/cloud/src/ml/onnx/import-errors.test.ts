import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../graph/builder.js';
import { OnnxError } from './errors.js';
import { exportOnnx, toOnnxModel } from './export.js';
import { importOnnx } from './import.js';
import { DT_FLOAT, floatTensor, type INode, onnx } from './proto.js';

/** A minimal valid model (Conv -> Relu on [N, 2, 4, 4]) whose parts the tests break. */
function model(nodes?: INode[], extra: { init?: boolean; opset?: number } = {}) {
  const b = new GraphBuilder('m', [4, 4, 2], 1);
  const m = toOnnxModel(b.build([b.relu(b.conv2d(b.input, 3, 3, {}, 'conv'), 'relu')]));
  if (nodes) m.graph!.node = nodes;
  if (extra.init === false) m.graph!.initializer = [];
  if (extra.opset !== undefined) m.opsetImport = [{ domain: '', version: extra.opset }];
  return onnx.ModelProto.encode(m).finish();
}

function decoded() {
  const m = onnx.ModelProto.decode(model());
  if (!m.graph) throw new Error('fixture has no graph');
  return m;
}

function error(bytes: Uint8Array): OnnxError {
  try {
    importOnnx(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxError);
    return e as OnnxError;
  }
  throw new Error('import did not fail');
}

describe('ONNX import errors', () => {
  it('the unbroken fixture imports', () => {
    expect(importOnnx(model()).graph.nodes.map((n) => n.op)).toEqual(['conv2d', 'relu']);
  });

  it('bad protobuf bytes', () => {
    expect(error(Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2)).code).toBe('BAD_PROTOBUF');
  });

  it('a file with no graph', () => {
    expect(error(new Uint8Array(0)).code).toBe('MALFORMED');
  });

  it('lists every unsupported op at once', () => {
    const e = error(
      model([
        { opType: 'LSTM', input: ['input'], output: ['a'] },
        { opType: 'Sigmoid', input: ['a'], output: ['b'] },
        { opType: 'LSTM', input: ['b'], output: ['c'] },
        { opType: 'Relu', input: ['c'], output: ['relu'] },
      ]),
    );
    expect(e.code).toBe('UNSUPPORTED_OPS');
    expect(e.ops).toEqual(['LSTM', 'Sigmoid']);
    expect(e.message).toContain('LSTM, Sigmoid');
  });

  it('a missing initializer', () => {
    const e = error(model(undefined, { init: false }));
    expect(e.code).toBe('MALFORMED');
    expect(e.message).toMatch(/conv\.weight/);
  });

  it('a dangling input', () => {
    const e = error(model([{ opType: 'Relu', input: ['nowhere'], output: ['relu'] }]));
    expect(e.code).toBe('MALFORMED');
    expect(e.message).toMatch(/"nowhere"/);
  });

  it('a weight whose channels do not fit the input', () => {
    const m = decoded();
    m.graph!.initializer = (m.graph!.initializer ?? []).map((t) =>
      t.name === 'conv.weight' ? floatTensor('conv.weight', [3, 5, 3, 3], new Float32Array(135)) : t,
    );
    expect(error(onnx.ModelProto.encode(m).finish()).code).toBe('SHAPE_MISMATCH');
  });

  it('tensor data that does not match its dims', () => {
    const m = decoded();
    m.graph!.initializer = [
      ...(m.graph!.initializer ?? []).filter((t) => t.name !== 'conv.weight'),
      floatTensor('conv.weight', [3, 2, 3, 3], new Float32Array(5)),
    ];
    const e = error(onnx.ModelProto.encode(m).finish());
    expect(e.code).toBe('MALFORMED');
    expect(e.message).toMatch(/holds 5 values/);
  });

  it('an input without fixed sizes', () => {
    const m = decoded();
    m.graph!.input = [
      {
        name: 'input',
        type: { tensorType: { elemType: DT_FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimParam: 'C' }] } } },
      },
    ];
    expect(error(onnx.ModelProto.encode(m).finish()).code).toBe('UNSUPPORTED');
  });

  it('a supported op with parameters TinyFleet cannot represent is named', () => {
    const m = decoded();
    const g = m.graph!;
    const conv = g.node?.[0];
    if (!conv?.output?.[0]) throw new Error('fixture has no conv');
    g.node = [
      conv,
      { opType: 'Constant', output: ['lo'], attribute: [{ name: 'value_float', type: 1, f: -1 }] },
      { opType: 'Constant', output: ['hi'], attribute: [{ name: 'value_float', type: 1, f: 1 }] },
      { opType: 'Clip', input: [conv.output[0], 'lo', 'hi'], output: ['relu'], name: 'clip' },
    ];
    const e = error(onnx.ModelProto.encode(m).finish());
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.message).toMatch(/node "clip": Clip\(min -1, max 1\)/);
  });

  it('an opset outside the supported range', () => {
    expect(error(model(undefined, { opset: 3 })).code).toBe('UNSUPPORTED');
  });

  it('truncated bytes of a real export never crash', () => {
    const bytes = exportOnnx(new GraphBuilder('m', [8], 1).build(['input']));
    for (const cut of [1, 7, 20, bytes.length - 3])
      expect(() => importOnnx(bytes.subarray(0, cut))).toThrow(OnnxError);
  });
});

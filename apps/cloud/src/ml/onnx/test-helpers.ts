/** Shared by the ONNX tests: run a graph in the engine and a model in ONNX Runtime, compare outputs. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { Plan } from '../engine/plan.js';
import { inferShapes } from '../graph/shapes.js';
import { type Graph, type Shape, shapeSize, type Tensor } from '../graph/types.js';
import { Rng } from '../tensor/rng.js';
import { channelsFirstOrder, nchwToNhwc, nhwcToNchw, toChannelsFirst } from './layout.js';

export const PYTHON = '/usr/bin/python3';
export const TORCH_SCRIPTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../scripts/torch');

/** Does Debian's python have these modules? (`null` = yes, else the reason to skip.) */
export function pythonLacks(...modules: string[]): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const r = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { encoding: 'utf8' });
  return r.status === 0
    ? null
    : `${PYTHON} lacks ${modules.join(', ')} (apt-get install python3-${modules[0]})`;
}

/** Random input batch, NHWC. */
export function randomBatch(shape: Shape, n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * shapeSize(shape) }, () => rng.uniform(-1, 1));
}

/** Non-trivial parameters everywhere (biases, BN statistics), so parity checks see every term. */
export function randomizeParams(graph: Graph, seed: number): Graph {
  const rng = new Rng(seed);
  const params: Record<string, Tensor> = {};
  const roleOf = new Map<string, string>();
  for (const n of graph.nodes)
    for (const [role, key] of Object.entries(n.params)) if (key) roleOf.set(key, role);
  for (const [key, t] of Object.entries(graph.params)) {
    const role = roleOf.get(key) ?? '';
    const fill = (): number =>
      role === 'variance'
        ? rng.uniform(0.5, 2)
        : role === 'gamma'
          ? rng.uniform(0.5, 1.5)
          : rng.uniform(-0.5, 0.5);
    // weights keep their He init; biases and BN parameters/statistics become non-trivial
    params[key] = {
      shape: t.shape,
      data: role === 'weight' ? t.data.slice() : Float32Array.from(t.data, fill),
    };
  }
  return { ...graph, params };
}

/** Engine forward (inference) of the first output; returns NHWC data for `n` samples. */
export function runEngine(graph: Graph, x: Float32Array, n: number): Float32Array {
  const plan = new Plan(graph, { batch: n, training: false });
  plan.act(plan.inputName).f32.set(x);
  plan.forward(n, false);
  const out = graph.outputs[0]!;
  return plan.act(out).f32.slice(0, n * shapeSize(plan.shapes.get(out)!));
}

/** ONNX Runtime forward of a TinyFleet-exported model, NHWC in and out (converted at the boundary). */
export async function runOrt(
  bytes: Uint8Array,
  graph: Graph,
  x: Float32Array,
  n: number,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const spec = graph.inputs[0]!;
  const meta = session.inputMetadata[0];
  const dims = meta && 'shape' in meta ? meta.shape : [];
  const channelsFirst =
    dims.length - 1 === spec.shape.length && channelsFirstOrder(spec.shape) !== null
      ? dims.slice(1).every((d, i) => d === toChannelsFirst(spec.shape)[i])
      : true;
  const input = channelsFirst ? nhwcToNchw(x, spec.shape) : x;
  const inShape = channelsFirst ? toChannelsFirst(spec.shape) : spec.shape;
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, [n, ...inShape]) };
  const res = await session.run(feeds);
  const y = res[session.outputNames[0]!]!.data as Float32Array;
  const outShape = inferShapes(graph).get(graph.outputs[0]!)!;
  await session.release();
  return nchwToNhwc(y, outShape);
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

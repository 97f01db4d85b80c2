/**
 * Integer-accuracy worker (index.ts): runs the graph it is sent on chunks of uint8 inputs with the
 * fast interpreter (fast.ts: the reference interpreter's numbers) and posts back the predicted classes.
 */
import { parentPort } from 'node:worker_threads';
import { argmax } from '../../quant/interpreter.js';
import type { QGraph } from '../../quant/types.js';
import { FastInterpreter } from './fast.js';

export type QevalRequest =
  | { readonly kind: 'graph'; readonly graph: QGraph }
  | { readonly kind: 'chunk'; readonly id: number; readonly inputs: Uint8Array; readonly n: number };
export type QevalReply =
  | { readonly id: number; readonly predictions: Int32Array }
  | { readonly id: number; readonly error: string };

const port = parentPort!;
let interp: FastInterpreter | null = null;
port.on('message', (m: QevalRequest) => {
  if (m.kind === 'graph') {
    interp = new FastInterpreter(m.graph);
    return;
  }
  try {
    if (!interp) throw new Error('no graph');
    const size = m.inputs.length / m.n;
    const predictions = new Int32Array(m.n);
    for (let i = 0; i < m.n; i++)
      predictions[i] = argmax(interp.run(m.inputs.subarray(i * size, (i + 1) * size)));
    port.postMessage({ id: m.id, predictions } satisfies QevalReply, [predictions.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ id: m.id, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  }
});
port.postMessage({ ready: true });

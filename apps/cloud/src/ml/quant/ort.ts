/**
 * Runs the ONNX form of a quantized graph in onnxruntime-node and compares it with the integer
 * interpreter (PROTOCOL.md §6.5). onnxruntime-node is loaded lazily; `loadOrt` returns null when the
 * native binding is absent, so callers can skip.
 */
import { QuantError } from './errors.js';
import { argmax, Interpreter } from './interpreter.js';
import { ORT_INPUT, ORT_OUTPUT, toOnnx } from './onnx.js';
import type { QGraph } from './types.js';

type Ort = typeof import('onnxruntime-node');

export async function loadOrt(): Promise<Ort | null> {
  try {
    return await import('onnxruntime-node');
  } catch {
    return null;
  }
}

export interface OrtComparison {
  readonly samples: number;
  readonly elements: number;
  /** Elements whose values differ by exactly 1 LSB, and by more. */
  readonly diff1: number;
  readonly diffMore: number;
  readonly maxDiff: number;
  /** Samples whose argmax differs. */
  readonly predictionsChanged: number;
}

export class OrtRunner {
  private constructor(
    private readonly session: import('onnxruntime-node').InferenceSession,
    private readonly ort: Ort,
    private readonly inputShape: readonly number[],
  ) {}

  static async create(ort: Ort, g: QGraph): Promise<OrtRunner> {
    const bytes = toOnnx(g);
    try {
      const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
      return new OrtRunner(session, ort, g.values.get(g.input)!.shape);
    } catch (cause) {
      throw new QuantError(
        'BAD_GRAPH',
        `onnxruntime rejected the quantized model: ${String(cause)}`,
        undefined,
        { cause },
      );
    }
  }

  async run(input: Uint8Array): Promise<Uint8Array> {
    const x = new this.ort.Tensor('uint8', input, [1, ...this.inputShape]);
    const out = await this.session.run({ [ORT_INPUT]: x });
    return out[ORT_OUTPUT]!.data as Uint8Array;
  }
}

/** Runs `inputs` through both and counts differences. */
export async function compareWithOrt(
  ort: Ort,
  g: QGraph,
  inputs: Iterable<Uint8Array>,
): Promise<OrtComparison> {
  const runner = await OrtRunner.create(ort, g);
  const interp = new Interpreter(g);
  let samples = 0;
  let elements = 0;
  let diff1 = 0;
  let diffMore = 0;
  let maxDiff = 0;
  let predictionsChanged = 0;
  for (const input of inputs) {
    const a = interp.run(input);
    const b = await runner.run(input);
    samples++;
    elements += a.length;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i]! - b[i]!);
      if (d === 1) diff1++;
      else if (d > 1) diffMore++;
      maxDiff = Math.max(maxDiff, d);
    }
    if (argmax(a) !== argmax(b)) predictionsChanged++;
  }
  return { samples, elements, diff1, diffMore, maxDiff, predictionsChanged };
}

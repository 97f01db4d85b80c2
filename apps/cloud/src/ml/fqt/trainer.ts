/**
 * The fully quantized training reference (PROTOCOL.md §6.6): streaming steps of `batchSize` uint8
 * samples; integer forward (the §6.3 interpreter, activations kept), integer backward with tracked
 * error ranges, dynamic partial updates (§4.4.1) and per-tensor requantization of the weights.
 * Each step returns the protocol's TRAIN_METRICS fields and GRAD_UPDATE messages.
 */
import { deviceMessageId, type GradUpdate, updatedStructures } from '@tinyfleet/protocol/messages';
import { argmax, Interpreter } from '../quant/interpreter.js';
import type { QGraph, QNode, QValue } from '../quant/types.js';
import { LogitsTracker, logitsProducer } from './activation.js';
import { type BackwardContext, backwardSample, type LayerStep, meanRows } from './backprop.js';
import { checkConfig, type FqtConfig, type Sample, type StepResult } from './config.js';
import { FqtError } from './errors.js';
import { outputError } from './loss.js';
import { gradUpdateMessages } from './message.js';
import { type ChainOp, type TrainedChain, trainedChain } from './model.js';
import { f32, i2f, type Range, ratioF32, topK, Xorshift32 } from './numerics.js';
import { quantizeAccumulators } from './range.js';
import { elementIndex, type LayerParams, updateLayer } from './update.js';

export type { FqtConfig, Sample, StepResult };

export class FqtTrainer {
  readonly chain: TrainedChain;
  readonly params = new Map<number, LayerParams>();
  private readonly errorRanges = new Map<string, Range>();
  private suffix: Interpreter;
  private maxLoss = 0;
  private readonly maxMeanError = new Map<number, number>();
  private stepCount = 0;
  private seen = 0;
  private messageCounter = 0;
  private readonly rng: Xorshift32 | undefined;
  /** PROTOCOL.md §6.6.6 step 2a: op index of the logits producer when it is trained, else -1. */
  private readonly centered: number;
  /** PROTOCOL.md §6.6.7: the logits tracker (ea > 0). */
  private readonly tracker: LogitsTracker | null = null;

  private cfg: FqtConfig;

  constructor(
    readonly graph: QGraph,
    config: FqtConfig,
  ) {
    const c = config;
    checkConfig(c);
    this.cfg = c;
    this.chain = trainedChain(graph, c.layers);
    for (const op of this.chain.ops) {
      if (!op.weighted || !c.layers.includes(op.index)) continue;
      const w = op.weighted.node.weight;
      const s = w.scales[0]!;
      const z = w.zeroPoints[0]!;
      this.params.set(op.index, {
        w: Uint8Array.from(w.data as Uint8Array),
        wq: { scale: s, zeroPoint: z },
        bias: Int32Array.from(op.weighted.node.bias.data),
        range: { lo: f32(s * (0 - z)), hi: f32(s * (255 - z)) },
      });
    }
    this.rng = c.rounding === 'stochastic' ? new Xorshift32(c.roundingSeed ?? 0) : undefined;
    const producer = logitsProducer(this.chain);
    this.centered = producer && this.params.has(producer.op.index) ? producer.op.index : -1;
    // PROTOCOL.md §6.6.7: the logits tracker (ea > 0; without a logits producer ea has no effect)
    const ea = c.emaActivations ?? 0;
    if (ea > 0 && producer) this.tracker = new LogitsTracker(producer.op, producer.values, ea);
    this.suffix = this.buildSuffix();
  }

  get config(): FqtConfig {
    return this.cfg;
  }

  /** A new learning rate from the next step on, as a TRAIN_CONFIG `lr` does on a device (PROTOCOL.md §4.4.2). */
  setLearningRate(lr: number): void {
    const next = { ...this.cfg, learningRate: lr };
    checkConfig(next);
    this.cfg = next;
  }

  /** The graph with the current (trained) weights. */
  currentGraph(): QGraph {
    const nodes = this.graph.nodes.map((n, i) => this.withParams(n, i));
    return { ...this.graph, values: this.values(), nodes };
  }

  /** Logits of one sample with the current weights. */
  logits(x: Uint8Array): Uint8Array {
    const vals = this.forward(x);
    return vals.get(this.chain.logits.name)!;
  }

  predict(x: Uint8Array): number {
    return argmax(this.logits(x));
  }

  /** One step over `batch` (its length is the configured batch size, or fewer at the end). */
  step(batch: readonly Sample[]): StepResult {
    const c = this.config;
    const bs = batch.length;
    if (bs < 1 || bs > c.batchSize)
      throw new FqtError('BAD_CONFIG', `batch of ${bs}, configured ${c.batchSize}`);
    const trained = new Map<number, LayerStep>();
    for (const idx of this.params.keys())
      trained.set(idx, {
        magnitudes: new Float64Array(this.op(idx).weighted!.structures),
        rows: null,
        grad: new Float32Array(0),
        biasGrad: new Float32Array(0),
        eps: 0,
      });
    const streaming = c.batchSize === 1;
    let lossSum = 0;
    let correct = 0;
    const macs = { wgrad: 0, eprop: 0 };
    let stepLoss = 0;
    const ctx: BackwardContext = {
      chain: this.chain,
      weights: (op) => this.weightsOf(op),
      trained,
      errorRanges: this.errorRanges,
      errorRate: c.emaErrors,
      // PROTOCOL.md §6.6.8: with bs = 1 the rows are chosen before the weight gradient is computed
      select: (op, ls) =>
        streaming
          ? this.choose(op, ls, stepLoss, 1)
          : Uint16Array.from({ length: ls.magnitudes.length }, (_, i) => i),
      macs,
    };
    const tr = this.tracker;
    for (const s of batch) {
      const vals = this.forward(s.x);
      if (tr) tr.observe(vals.get(tr.op.node.inputs[0]!)!, this.weightsOf(tr.op), this.biasOf(tr.op));
      const out = outputError(vals.get(this.chain.logits.name)!, tr?.qp ?? this.chain.logits.q, s.y);
      lossSum = f32(lossSum + out.loss);
      if (out.correct) correct++;
      if (streaming) {
        stepLoss = out.loss;
        this.maxLoss = Math.max(this.maxLoss, stepLoss);
      }
      const name = this.chain.logits.name;
      const r = quantizeAccumulators(
        out.acc,
        { a: 1, b: 1, p: -8 },
        this.errorRanges.get(name) ?? { lo: -1, hi: 1 },
        c.emaErrors,
        new Uint8Array(out.acc.length),
      );
      this.errorRanges.set(name, r.range);
      backwardSample(ctx, vals, { q: r.q, qp: r.qp });
    }
    const loss = f32(lossSum / f32(bs));
    if (!Number.isFinite(loss)) throw new FqtError('OUT_OF_RANGE', 'loss is not finite');
    if (!streaming) this.maxLoss = Math.max(this.maxLoss, loss);
    if (tr) tr.endStep(this.weightsOf(tr.op).qp.scale); // PROTOCOL.md §6.6.7: before the update
    this.stepCount++;
    this.seen += bs;
    const layers: { layer: number; k: number; eps: number }[] = [];
    const gradUpdates: GradUpdate[] = [];
    let kSum = 0;
    let nSum = 0;
    for (const [idx, ls] of trained) {
      const op = this.op(idx);
      const w = op.weighted!;
      // PROTOCOL.md §6.6.8: with bs > 1 every structure was accumulated; choose now
      const rows = streaming ? ls.rows! : this.choose(op, ls, loss, bs);
      const { grad, biasGrad } = streaming ? ls : meanRows(ls, rows, w.elements, bs);
      const delta = updateLayer(this.params.get(idx)!, {
        selected: rows,
        grad,
        biasGrad,
        es: w.elements,
        index: elementIndex(w.layout, w.structures, w.elements),
        lr: c.learningRate,
        biasLr: c.biasLearningRate ?? c.learningRate,
        rate: c.emaWeights,
        inputScale: op.x.q.scale,
        mode: c.update ?? 'standardized',
        recentre: idx === this.centered,
        ...(this.rng ? { rng: this.rng } : {}),
      });
      kSum += rows.length;
      nSum += w.structures;
      layers.push({ layer: idx, k: rows.length, eps: ls.eps });
      const kind = c.gradKind ?? 'DELTA';
      gradUpdates.push(
        ...gradUpdateMessages({
          sessionId: c.sessionId ?? 1,
          step: this.stepCount,
          layer: idx,
          kind,
          samplesSeen: this.seen,
          structures: w.structures,
          elements: w.elements,
          indices: rows,
          values: kind === 'DELTA' ? delta : grad,
          eps: ls.eps,
          id: () => deviceMessageId(1, ++this.messageCounter),
        }),
      );
    }
    this.suffix = this.buildSuffix();
    return {
      step: this.stepCount,
      samplesSeen: this.seen,
      loss,
      accuracy: correct / bs,
      updateRate: f32(f32(kSum) / f32(nSum)),
      macs,
      layers,
      gradUpdates,
    };
  }

  /** PROTOCOL.md §4.4.1 steps 2-3: eps by the session's mode, k, and the top-k structures. */
  private choose(op: ChainOp, ls: LayerStep, loss: number, bs: number): Uint16Array {
    const w = op.weighted!;
    let eps: number;
    if (this.config.epsMode === 'LOSS_RATIO') eps = ratioF32(loss, this.maxLoss);
    else {
      let total = 0;
      for (const m of ls.magnitudes) total += m;
      const mean = f32(i2f(total) / f32(w.structures * w.positions * bs));
      const mx = Math.max(this.maxMeanError.get(op.index) ?? 0, mean);
      this.maxMeanError.set(op.index, mx);
      eps = ratioF32(mean, mx);
    }
    ls.eps = eps;
    const k = updatedStructures(w.structures, this.config.lambdaMin, this.config.lambdaMax, eps);
    return topK(ls.magnitudes, k);
  }

  /** The values of the graph, the tracked logits with their current qparams (PROTOCOL.md §6.6.7). */
  private values(): ReadonlyMap<string, QValue> {
    const tr = this.tracker;
    if (!tr) return this.graph.values;
    const m = new Map(this.graph.values);
    for (const name of tr.values) m.set(name, { ...m.get(name)!, q: tr.qp });
    return m;
  }

  private op(index: number): ChainOp {
    const op = this.chain.ops.find((o) => o.index === index);
    if (!op) throw new FqtError('BAD_CONFIG', `op ${index} is not in the trained chain`);
    return op;
  }

  private weightsOf(op: ChainOp) {
    const p = this.params.get(op.index);
    if (p) return { q: p.w, qp: p.wq };
    const w = op.weighted!.node.weight;
    return { q: w.data as Uint8Array, qp: { scale: w.scales[0]!, zeroPoint: w.zeroPoints[0]! } };
  }

  private biasOf(op: ChainOp): Int32Array {
    return this.params.get(op.index)?.bias ?? op.weighted!.node.bias.data;
  }

  private withParams(n: QNode, index: number): QNode {
    const p = this.params.get(index);
    if (!p || !('weight' in n)) return n;
    const sIn = this.graph.values.get(n.inputs[0]!)!.q.scale;
    return {
      ...n,
      weight: {
        ...n.weight,
        data: p.w,
        scales: Float32Array.of(p.wq.scale),
        zeroPoints: Int32Array.of(p.wq.zeroPoint),
      },
      bias: { data: p.bias, scales: Float32Array.of(f32(sIn * p.wq.scale)) },
    };
  }

  /** Prepare of the trained chain with the current weights (PROTOCOL.md §6.2.2 multipliers). */
  private buildSuffix(): Interpreter {
    const nodes = this.chain.ops.map((o) => this.withParams(o.node, o.index));
    const values = this.values();
    return new Interpreter({
      ...this.graph,
      values,
      input: this.chain.input,
      output: this.chain.logits.name,
      nodes,
    });
  }

  /** Forward of one sample; every value of the chain is kept for the backward pass. */
  private forward(x: Uint8Array): Map<string, Uint8Array> {
    const prefix = this.chain.prefix;
    const input = prefix ? prefix.runAll(x).get(this.chain.input)! : x;
    return this.suffix.runAll(input);
  }
}

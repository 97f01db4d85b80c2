/**
 * The planner's view of a model: the op schedule and tensor table of a model artifact (PROTOCOL.md
 * §5.4, §5.5), with the training extras (ERROR, SAVED, RAM_COPY) stripped so any artifact, trained or
 * not, and any freshly quantized graph (via `toArtifactModel`) plan the same way.
 */
import type { ArtifactModel, ArtifactOp, ArtifactTensor } from '@tinyfleet/protocol/artifact';
import { PlanError } from './errors.js';

export type OpKind = ArtifactOp['kind'];

export const WEIGHTED_KINDS: ReadonlySet<OpKind> = new Set(['CONV2D', 'DEPTHWISE_CONV2D', 'CONV1D', 'DENSE']);

export interface PlanTensor {
  readonly shape: readonly number[];
  /** Bytes of the data (PROTOCOL.md §5.5 `byte_size`). */
  readonly bytes: number;
  /** `extra`: an ERROR or SAVED record of a trained artifact, ignored by the forward plan. */
  readonly role: 'activation' | 'constant' | 'extra';
  readonly dtype: ArtifactTensor['dtype'];
  /** Channels of a per-channel quantized tensor (QPARAMS entries, §5.5.5), else 0. */
  readonly channels: number;
  readonly perChannel: boolean;
}

export interface PlanOp {
  readonly kind: OpKind;
  /** Activation inputs (tensor ids). */
  readonly inputs: readonly number[];
  readonly output: number;
  readonly weight?: number | undefined;
  readonly bias?: number | undefined;
  /** Window elements of a pool (`window_h * window_w`), else 1. */
  readonly window: number;
  /**
   * The backward pass masks the error with the saved output (PROTOCOL.md §6.6.3): for a UINT8 output a
   * ReLU cut (`act_min` = the output zero point) or `act_max` < 255; for INT8 a clamp narrower than the range.
   */
  readonly clamped: boolean;
  /** MAXPOOL2D / AVGPOOL2D windows overlap (a stride smaller than the window on some axis). */
  readonly overlap: boolean;
  /**
   * A weighted op with the plain clamp [0, 255] and a UINT8 output zero point other than 0: a logits
   * producer candidate of §6.6.6 step 2a (re-centred when it is the chain's last weighted op).
   */
  readonly plainClamp: boolean;
}

export interface PlanGraph {
  readonly name: string;
  readonly tensors: readonly PlanTensor[];
  readonly ops: readonly PlanOp[];
  readonly input: number;
  readonly output: number;
}

const ELEMENT_BYTES = { UINT8: 1, INT8: 1, INT32: 4, FLOAT32: 4 } as const;

export function elements(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function isExtra(t: ArtifactTensor): boolean {
  return t.flags.includes('ERROR') || t.flags.includes('SAVED');
}

/** The forward model of an artifact; tensor ids are kept (ERROR/SAVED records become unused slots). */
export function planGraphOf(model: ArtifactModel): PlanGraph {
  const tensors = model.tensors.map(
    (t): PlanTensor => ({
      shape: t.shape,
      bytes: elements(t.shape) * ELEMENT_BYTES[t.dtype],
      role: isExtra(t) ? 'extra' : t.storage === 'ARENA' ? 'activation' : 'constant',
      dtype: t.dtype,
      channels: t.quant.kind === 'PER_CHANNEL' ? t.quant.scales.length : 0,
      perChannel: t.quant.kind === 'PER_CHANNEL',
    }),
  );
  const get = (id: number | undefined): ArtifactTensor => {
    const t = id === undefined ? undefined : model.tensors[id];
    if (!t) throw new PlanError('BAD_MODEL', `unknown tensor id ${String(id)}`);
    if (isExtra(t)) throw new PlanError('BAD_MODEL', `op uses ERROR/SAVED tensor ${String(id)}`);
    return t;
  };
  const ops = model.ops.map((op): PlanOp => {
    const weighted = WEIGHTED_KINDS.has(op.kind);
    const ins = weighted ? op.inputs.slice(0, 1) : op.inputs;
    for (const i of [...op.inputs, op.output]) get(i);
    const out = get(op.output);
    const dtype = out.dtype;
    const zy = out.quant.kind === 'PER_TENSOR' ? out.quant.zeroPoint : undefined;
    const clamped =
      'actMin' in op &&
      (dtype === 'UINT8'
        ? op.actMin === zy || op.actMax < 255
        : dtype === 'INT8' && (op.actMin > -128 || op.actMax < 127));
    const plainClamp =
      weighted && 'actMin' in op && dtype === 'UINT8' && op.actMin === 0 && op.actMax === 255 && zy !== 0;
    const overlap = 'windowH' in op && (op.strideH < op.windowH || op.strideW < op.windowW);
    return {
      kind: op.kind,
      inputs: ins,
      output: op.output,
      weight: weighted ? op.inputs[1] : undefined,
      bias: weighted ? op.inputs[2] : undefined,
      clamped,
      overlap,
      plainClamp,
      window: 'windowH' in op ? op.windowH * op.windowW : 1,
    };
  });
  return { name: model.name, tensors, ops, input: model.input, output: model.output };
}

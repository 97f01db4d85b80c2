/** Typed errors of the memory/latency planner. */
export type PlanErrorCode =
  /** `--target` names no profile of the table (profiles.ts). */
  | 'UNKNOWN_TARGET'
  /** A trainable set that is not `none`, `all`, `lastN` or a list of weighted op indices. */
  | 'BAD_TRAINABLE'
  /** A trainable op whose weights cannot be trained on the device (int8 per-channel, PROTOCOL.md §5.7). */
  | 'NOT_TRAINABLE'
  /** The model is inconsistent (an op reads a tensor nobody wrote, an unknown tensor id). */
  | 'BAD_MODEL';

export class PlanError extends Error {
  override readonly name = 'PlanError';
  constructor(
    readonly code: PlanErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

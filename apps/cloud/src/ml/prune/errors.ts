export type PruneErrorCode =
  /** A sparsity, step count or other option is out of range. */
  | 'BAD_CONFIG'
  /** The graph has nothing the requested method can prune. */
  | 'NOTHING_PRUNABLE'
  /** A keep list does not fit the group it is applied to (empty, out of range, unsorted). */
  | 'BAD_KEEP'
  /** The data given for a data-driven criterion (gradient, APoZ) does not fit the model. */
  | 'BAD_DATA';

/** A pruning request that cannot be carried out on the given model. */
export class PruneError extends Error {
  override readonly name = 'PruneError';
  constructor(
    readonly code: PruneErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

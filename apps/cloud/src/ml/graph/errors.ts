import type { Shape } from './types.js';

export type GraphErrorCode =
  | 'DUPLICATE_NAME'
  | 'UNKNOWN_INPUT'
  | 'UNKNOWN_OP'
  | 'BAD_ATTR'
  | 'MISSING_PARAM'
  | 'PARAM_SHAPE'
  | 'SHAPE_MISMATCH'
  | 'NO_OUTPUT';

/** An impossible or malformed graph; names the node and the shapes involved. */
export class GraphError extends Error {
  override readonly name = 'GraphError';
  constructor(
    readonly code: GraphErrorCode,
    message: string,
    readonly node?: string,
    readonly shapes?: readonly Shape[],
    options?: { cause?: unknown },
  ) {
    const where = node === undefined ? '' : `node "${node}": `;
    const sh =
      shapes && shapes.length > 0 ? ` (shapes: ${shapes.map((s) => `[${s.join(', ')}]`).join(', ')})` : '';
    super(`${where}${message}${sh}`, options);
  }
}

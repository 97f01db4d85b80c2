/** The graph IR: types, shape inference, construction and rewrites. See `types.ts` for the IR itself. */
export { type ConvOptions, GraphBuilder, type PoolOptions } from './builder.js';
export { GraphError, type GraphErrorCode } from './errors.js';
export { foldBatchNorm } from './fold.js';
export { inferNodeShape, inferShapes, outLength, padBefore } from './shapes.js';
export * from './types.js';

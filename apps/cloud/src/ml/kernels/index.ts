/** Compute kernels: wasm SIMD (assembled at run time by ./wasm) over one arena per plan. */
export { Arena, Buf } from './arena.js';
export { GEMM_SHAPE, Kernels, NR, packedSize, type WindowGeometry } from './kernels.js';

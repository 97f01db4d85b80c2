/** Execution of graphs: a `Plan` places all tensors in one wasm arena and runs forward / backward. */
export type { Layer, LayerContext } from './layer.js';
export { type ParamSlot, Plan, type PlanOptions } from './plan.js';

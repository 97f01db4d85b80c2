/**
 * The TinyFleet ML engine (float): graph IR, wasm-backed execution, training, model zoo and the
 * `.tfmodel` file format. Data set loaders: `./data`.
 */
export * from './engine/index.js';
export * from './graph/index.js';
export * from './model/index.js';
export * from './tensor/index.js';
export * from './train/index.js';
export * from './zoo/index.js';

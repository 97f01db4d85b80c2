/**
 * Training-based multi-objective NAS: MOBOpt + ARS (RESEARCH.md §5; issue 8 item 3). See README.md.
 */
export * from './acquisition.js';
export * from './ars.js';
export * from './cli.js';
export * from './encoding.js';
export * from './evaluate.js';
export * from './front.js';
export * from './gp.js';
export * from './propose.js';
export * from './run.js';

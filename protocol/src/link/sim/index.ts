/** Deterministic emulated UART and link simulator (PROTOCOL.md §3), for tests, benchmarks and system tests. */
export { LinkSim, type LinkSimOptions, type Side, type SimEndpoint, type SimEvent } from './link-sim.js';
export { Prng } from './prng.js';
export { Scheduler } from './scheduler.js';
export { UartChannel, type UartChannelStats, type UartLineOptions, type UartSink } from './uart.js';

export { type MemoryLine, MemoryPorts, memoryLine } from './memory.js';
export { expandPorts, isGlob } from './ports.js';
export { type SerialOptions, serialOpener } from './serial.js';
export type { ByteTransport, TransportOpener } from './types.js';

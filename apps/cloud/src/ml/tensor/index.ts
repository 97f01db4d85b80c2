export { mixSeed, Rng } from './rng.js';

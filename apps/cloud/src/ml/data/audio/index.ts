/** The audio front end (MFCC / log-mel) and its building blocks. */
export { ComplexFft, isPowerOfTwo, RealFft } from './fft.js';
export { AudioFrontEnd, DEFAULT_FRONT_END, type Frames, type FrontEndConfig } from './frontend.js';
export {
  applyMel,
  dctMatrix,
  hzToMel,
  type MelBankConfig,
  type MelFilter,
  melFilterBank,
  melToHz,
} from './mel.js';

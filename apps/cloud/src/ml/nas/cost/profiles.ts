/**
 * Target MCU profiles for constraints. Rough public figures; the memory/latency planner of ML
 * engine II will own this table. `cyclesPerMac` is a coarse int8 throughput figure (CMSIS-NN-style
 * kernels: ~1 on an M7 with dual-issue SIMD, ~2 on an M4/M33 with SMLAD, ~8 without SIMD).
 */
import { NasError } from '../errors.js';

export interface TargetProfile {
  readonly name: string;
  readonly core: string;
  readonly clockHz: number;
  readonly ramBytes: number;
  readonly flashBytes: number;
  readonly cyclesPerMac: number;
}

const KB = 1024;

export const PROFILES: Readonly<Record<string, TargetProfile>> = {
  'cortex-m4': {
    name: 'cortex-m4',
    core: 'Cortex-M4F (nRF52840-class, 64 MHz)',
    clockHz: 64e6,
    ramBytes: 256 * KB,
    flashBytes: 1024 * KB,
    cyclesPerMac: 2,
  },
  'cortex-m4-stm32f4': {
    name: 'cortex-m4-stm32f4',
    core: 'Cortex-M4F (STM32F446, 180 MHz)',
    clockHz: 180e6,
    ramBytes: 128 * KB,
    flashBytes: 512 * KB,
    cyclesPerMac: 2,
  },
  'cortex-m33': {
    name: 'cortex-m33',
    core: 'Cortex-M33 (nRF5340 app core, 128 MHz)',
    clockHz: 128e6,
    ramBytes: 512 * KB,
    flashBytes: 1024 * KB,
    cyclesPerMac: 2,
  },
  'cortex-m7': {
    name: 'cortex-m7',
    core: 'Cortex-M7 (STM32H743, 480 MHz)',
    clockHz: 480e6,
    ramBytes: 512 * KB,
    flashBytes: 2048 * KB,
    cyclesPerMac: 1,
  },
  'cortex-m0plus': {
    name: 'cortex-m0plus',
    core: 'Cortex-M0+ (RP2040, 133 MHz)',
    clockHz: 133e6,
    ramBytes: 264 * KB,
    flashBytes: 2048 * KB,
    cyclesPerMac: 8,
  },
};

export function profileByName(name: string): TargetProfile {
  const p = PROFILES[name];
  if (!p)
    throw new NasError('BAD_PROFILE', `unknown target "${name}"; known: ${Object.keys(PROFILES).join(', ')}`);
  return p;
}

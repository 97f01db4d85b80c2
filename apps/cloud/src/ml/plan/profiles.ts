/**
 * MCU profiles: the one table the planner's memory limits, latency and energy come from (issue 4
 * item 5). Documented, with sources and assumptions, in `README.md` beside this file; a test keeps
 * the two in step. Every cost figure is an *estimate to be calibrated* against the firmware (issue 5
 * counts instructions per kernel in QEMU): edit the numbers here, nowhere else.
 *
 * Cycle figures assume 8-bit kernels of CMSIS-NN class on each core (SIMD SMLAD on M4/M33/M7,
 * Helium MVE on M55, plain 32-bit multiplies on M0+), running from zero-wait-state RAM with weights in
 * flash behind the vendor's cache/accelerator. Backward kernels (error propagation, weight gradient)
 * are transposed convolutions without that tuning: `backwardFactor` times the forward figure.
 */
import { PlanError } from './errors.js';

/** Kinds of work the cost model prices (an op kind maps to one, cost.ts). */
export type CostKind = 'conv' | 'depthwise' | 'dense' | 'pool' | 'elementwise';

export interface McuProfile {
  readonly name: string;
  /** Core and example part the numbers are for. */
  readonly core: string;
  readonly part: string;
  readonly clockHz: number;
  /** On-chip SRAM usable by the application (all banks). */
  readonly ramBytes: number;
  /** Program flash (internal or the usual external QSPI part). */
  readonly flashBytes: number;
  /** Flash kept for the firmware image (runtime, ports, bootloader); the rest holds 2 model slots. */
  readonly firmwareFlashBytes: number;
  /** RAM the runtime needs besides the arena and RAM copies: stacks, link buffers, state. */
  readonly runtimeRamBytes: number;
  /** Cycles per MAC (conv, depthwise, dense) or per element visited (pool, elementwise). */
  readonly cycles: Readonly<Record<CostKind, number>>;
  /** Fixed cycles per op invocation (dispatch, prepare of loop bounds, requant setup). */
  readonly opOverheadCycles: number;
  readonly backwardFactor: number;
  /** Active power of the core running kernels, in milliwatts (typical run current x supply). */
  readonly activeMw: number;
}

const KB = 1024;
const MB = 1024 * KB;

function profile(p: McuProfile): McuProfile {
  return p;
}

export const PROFILES: readonly McuProfile[] = [
  profile({
    name: 'cortex-m0plus',
    core: 'Cortex-M0+',
    part: 'RP2040 (one core)',
    clockHz: 133e6,
    ramBytes: 264 * KB,
    flashBytes: 2 * MB,
    firmwareFlashBytes: 128 * KB,
    runtimeRamBytes: 16 * KB,
    cycles: { conv: 8, depthwise: 10, dense: 7, pool: 4, elementwise: 6 },
    opOverheadCycles: 4000,
    backwardFactor: 1.5,
    activeMw: 80,
  }),
  profile({
    name: 'cortex-m4',
    core: 'Cortex-M4F',
    part: 'nRF52840',
    clockHz: 64e6,
    ramBytes: 256 * KB,
    flashBytes: 1 * MB,
    firmwareFlashBytes: 128 * KB,
    runtimeRamBytes: 16 * KB,
    cycles: { conv: 2.2, depthwise: 4, dense: 2, pool: 2, elementwise: 3 },
    opOverheadCycles: 2000,
    backwardFactor: 1.5,
    activeMw: 10,
  }),
  profile({
    name: 'cortex-m7',
    core: 'Cortex-M7',
    part: 'STM32H743',
    clockHz: 480e6,
    ramBytes: 1 * MB,
    flashBytes: 2 * MB,
    firmwareFlashBytes: 128 * KB,
    runtimeRamBytes: 16 * KB,
    cycles: { conv: 1.1, depthwise: 2, dense: 1.2, pool: 1, elementwise: 1.5 },
    opOverheadCycles: 1500,
    backwardFactor: 1.5,
    activeMw: 330,
  }),
  profile({
    name: 'cortex-m7-imxrt1062',
    core: 'Cortex-M7',
    part: 'i.MX RT1062 (Teensy 4.0)',
    clockHz: 600e6,
    ramBytes: 1 * MB,
    flashBytes: 2 * MB,
    firmwareFlashBytes: 128 * KB,
    runtimeRamBytes: 16 * KB,
    cycles: { conv: 1.1, depthwise: 2, dense: 1.2, pool: 1, elementwise: 1.5 },
    opOverheadCycles: 1500,
    backwardFactor: 1.5,
    activeMw: 330,
  }),
  profile({
    name: 'cortex-m33',
    core: 'Cortex-M33',
    part: 'nRF5340 application core',
    clockHz: 128e6,
    ramBytes: 512 * KB,
    flashBytes: 1 * MB,
    firmwareFlashBytes: 128 * KB,
    runtimeRamBytes: 16 * KB,
    cycles: { conv: 2.2, depthwise: 4, dense: 2, pool: 2, elementwise: 3 },
    opOverheadCycles: 2000,
    backwardFactor: 1.5,
    activeMw: 20,
  }),
  profile({
    name: 'cortex-m55',
    core: 'Cortex-M55 (Helium)',
    part: 'Alif Ensemble E3 high-efficiency core (Corstone-300 class)',
    clockHz: 160e6,
    ramBytes: 512 * KB,
    flashBytes: 4 * MB,
    firmwareFlashBytes: 128 * KB,
    runtimeRamBytes: 16 * KB,
    cycles: { conv: 0.5, depthwise: 1, dense: 0.6, pool: 0.5, elementwise: 0.8 },
    opOverheadCycles: 1500,
    backwardFactor: 1.5,
    activeMw: 15,
  }),
];

/** Bytes of one model slot: half of the flash left after the firmware, 4 KiB pages (§4.6 A/B slots). */
export function slotBytes(p: McuProfile): number {
  return Math.floor((p.flashBytes - p.firmwareFlashBytes) / 2 / 4096) * 4096;
}

export function profileByName(name: string): McuProfile {
  const p = PROFILES.find((x) => x.name === name);
  if (!p) {
    throw new PlanError(
      'UNKNOWN_TARGET',
      `unknown target "${name}"; known: ${PROFILES.map((x) => x.name).join(', ')}`,
    );
  }
  return p;
}

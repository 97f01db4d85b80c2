/**
 * The execution state machine (README.md in this folder). Device reports (OTA_STATUS, PROTOCOL.md §4.6.1)
 * and gateway results (GW_COMMAND_RESULT, §4.7.3) move an execution forward; the engine's timers move it
 * to `timed-out`; only a queued execution can be canceled (v1 has no command that recalls an offer).
 */
import type { OtaStateName } from '@tinyfleet/protocol/messages';
import type { ExecutionState, InFlightState } from '../store/index.js';

export const TERMINAL_STATES: ReadonlySet<ExecutionState> = new Set([
  'succeeded',
  'failed',
  'reverted',
  'timed-out',
  'canceled',
]);

/** Outcomes that count as failures for abort thresholds. */
export const FAILURE_STATES: ReadonlySet<ExecutionState> = new Set(['failed', 'reverted', 'timed-out']);

const ENDS = ['succeeded', 'failed', 'reverted', 'timed-out'] as const;

/**
 * Legal transitions. Reports may be lost, so forward skips are legal. Backward moves to `downloading` are
 * legal from `verifying` and `flashing`: after a power cut in VERIFYING or VERIFIED a device reports
 * RECEIVING with a full bitmap (§4.6.1 "Power loss"). A late final report may correct a timeout.
 */
const NEXT: Readonly<Record<ExecutionState, readonly ExecutionState[]>> = {
  queued: ['offered', 'canceled'],
  offered: ['downloading', 'verifying', 'flashing', 'test-booting', ...ENDS],
  downloading: ['verifying', 'flashing', 'test-booting', ...ENDS],
  verifying: ['downloading', 'flashing', 'test-booting', ...ENDS],
  flashing: ['downloading', 'verifying', 'test-booting', ...ENDS],
  'test-booting': [...ENDS],
  'timed-out': ['succeeded', 'failed', 'reverted'],
  succeeded: [],
  failed: [],
  reverted: [],
  canceled: [],
};

export function canTransition(from: ExecutionState, to: ExecutionState): boolean {
  return NEXT[from].includes(to);
}

export function isTerminal(s: ExecutionState): boolean {
  return TERMINAL_STATES.has(s);
}

/** PROTOCOL.md §4.6.1 device states -> execution states. IDLE says nothing about a transfer. */
export const FROM_DEVICE_STATE: Readonly<Record<OtaStateName, ExecutionState | undefined>> = {
  IDLE: undefined,
  RECEIVING: 'downloading',
  VERIFYING: 'verifying',
  VERIFIED: 'flashing',
  TEST_BOOTING: 'test-booting',
  CONFIRMED: 'succeeded',
  REVERTED: 'reverted',
  FAILED: 'failed',
};

/** Default per-state timeouts (ms) of in-flight states; a campaign may override each. */
export const DEFAULT_TIMEOUTS_MS: Readonly<Record<InFlightState, number>> = {
  offered: 10 * 60_000,
  downloading: 30 * 60_000,
  verifying: 5 * 60_000,
  flashing: 10 * 60_000,
  'test-booting': 10 * 60_000,
};

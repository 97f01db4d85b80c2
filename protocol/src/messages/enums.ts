/**
 * Enumerations used by messages, by name (PROTOCOL.md §4). The values live in the constants table
 * (§1.4) because the firmware needs them; this module gives TypeScript their name unions.
 */

import type { ConstEntry } from '../constants/index.js';
import type {
  DEVICE_STATES,
  EPS_MODES,
  GRAD_KINDS,
  LOG_LEVELS,
  OTA_STATES,
  ROUNDING_MODES,
  TRAIN_STATES,
  UPDATE_RULES,
} from '../constants/table.js';

type Names<E extends readonly ConstEntry[]> = E[number]['name'];

export type DeviceStateName = Names<typeof DEVICE_STATES>;
export type LogLevelName = Names<typeof LOG_LEVELS>;
export type TrainStateName = Names<typeof TRAIN_STATES>;
export type GradKindName = Names<typeof GRAD_KINDS>;
export type OtaStateName = Names<typeof OTA_STATES>;
export type EpsModeName = Names<typeof EPS_MODES>;
export type UpdateRuleName = Names<typeof UPDATE_RULES>;
export type RoundingModeName = Names<typeof ROUNDING_MODES>;

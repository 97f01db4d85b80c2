export { offlineStatus, onlineStatus, type StatusFacts } from './status.js';
export {
  OUTBOX_MAX_AGE_MS,
  Uplink,
  type UplinkOptions,
  type UplinkState,
  type UplinkStats,
} from './uplink.js';

export {
  DeviceLink,
  type DeviceLinkHandlers,
  type DeviceLinkState,
  type HelloVerdict,
} from './device-link.js';
export { ErrorWindow, HEALTH_DEFAULTS, type HealthOptions } from './health.js';
export { type DeviceEntry, type DeviceEvents, DeviceManager, type DeviceManagerOptions } from './manager.js';
export { type PortState, type PortStatus, PortSupervisor } from './supervisor.js';

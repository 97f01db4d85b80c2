/** Running the cloud: configuration, `startCloud`, and the `cloud start` command. */
export {
  CLOUD_START_HELP,
  type CloudStartOptions,
  cloudBanner,
  cloudConfigOf,
  runCloudStart,
  type ServedCloud,
  serveCloud,
} from './cli.js';
export {
  type CloudConfig,
  type CloudConfigInput,
  ConfigError,
  DEFAULT_CONFIG,
  loadConfigFile,
  resolveConfig,
} from './config.js';
export { CLOUD_CONFIG_KEYS, CLOUD_START_OPTIONS } from './options.js';
export { type RunningCloud, startCloud } from './start.js';

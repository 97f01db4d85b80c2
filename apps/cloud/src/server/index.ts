/** Running the cloud: configuration, `startCloud`, and the `cloud start` command. */
export { CLOUD_START_HELP, runCloudStart } from './cli.js';
export {
  type CloudConfig,
  type CloudConfigInput,
  ConfigError,
  DEFAULT_CONFIG,
  loadConfigFile,
  resolveConfig,
} from './config.js';
export { type RunningCloud, startCloud } from './start.js';

/**
 * Run the TinyFleet cloud: `tsx apps/cloud/src/server/main.ts [--config FILE] [options]` (`--help`).
 */

import { runCloudStart } from './cli.js';
import { ConfigError } from './config.js';

runCloudStart(process.argv.slice(2)).catch((e: unknown) => {
  console.error(e instanceof ConfigError ? e.message : e);
  process.exit(1);
});

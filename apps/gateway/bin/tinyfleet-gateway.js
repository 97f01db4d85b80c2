#!/usr/bin/env node
// The `tinyfleet-gateway` daemon: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/daemon/cli.ts');
process.exitCode = await main(process.argv.slice(2));

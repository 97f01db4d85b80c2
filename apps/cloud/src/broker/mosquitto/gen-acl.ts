/**
 * Writes infra/mosquitto/tinyfleet.acl from the protocol route table:
 * `npx tsx apps/cloud/src/broker/mosquitto/gen-acl.ts`. acl.test.ts fails when the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { mosquittoAcl } from './acl.js';

export const ACL_FILE = fileURLToPath(
  new URL('../../../../../infra/mosquitto/tinyfleet.acl', import.meta.url),
);

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(ACL_FILE, mosquittoAcl());
  console.log(`wrote ${ACL_FILE}`);
}

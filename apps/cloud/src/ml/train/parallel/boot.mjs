// Worker bootstrap: TypeScript sources (tests, the tsx-run CLI) need the tsx loader registered in
// this thread too before the entry module is imported; compiled JavaScript is imported directly.
import { workerData } from 'node:worker_threads';

const entry = workerData.entry;
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);

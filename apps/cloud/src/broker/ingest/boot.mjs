// Bootstrap of the ingest worker thread (./offload.ts): TypeScript sources (tests, the tsx-run cloud)
// need the tsx loader registered in this thread too before the entry is imported; JavaScript goes direct.
import { workerData } from 'node:worker_threads';

const entry = workerData.entry;
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);

/**
 * Worker threads of the NAS pools (search/pool.ts, qeval/index.ts): `size` workers booted on `entry`
 * (through the engine's TypeScript-aware boot script), resolved once each has posted its ready message.
 * If any fails to start, every worker is terminated and the cause is thrown.
 */
import { Worker } from 'node:worker_threads';

/** `entry`'s sibling `name` as a URL, `.ts` under tsx and `.js` when built. */
export function workerEntry(name: string, base: string): string {
  return new URL(`./${name}.${base.endsWith('.ts') ? 'ts' : 'js'}`, base).href;
}

export async function startWorkers(entry: string, size: number, init?: unknown): Promise<Worker[]> {
  const boot = new URL('../train/parallel/boot.mjs', import.meta.url);
  const workerData = init === undefined ? { entry } : { entry, init };
  const workers = Array.from({ length: size }, () => new Worker(boot, { workerData }));
  try {
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          }),
      ),
    );
  } catch (cause) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw cause;
  }
  return workers;
}

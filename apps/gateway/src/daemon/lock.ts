/**
 * One running copy per data directory (PROTOCOL.md §2.6 item 4: two copies of one gateway would take the
 * MQTT session from each other in a loop). A lock file holds the owner's pid; a stale one is taken over.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DirLock {
  release(): void;
}

export function lockDataDir(dir: string): DirLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'gateway.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return { release: () => rmSync(file, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid))
        throw new GatewayError('LOCKED', `${dir} is in use by pid ${pid}`);
      if (pid === process.pid) throw new GatewayError('LOCKED', `${dir} is already open in this process`);
      rmSync(file, { force: true }); // stale
    }
  }
  throw new GatewayError('LOCKED', `cannot lock ${dir}`);
}

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { messageIdHex } from '@tinyfleet/protocol/messages';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '../log/index.js';
import { JobStore } from './jobs.js';
import { otaCommand } from './testing.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store(dir?: string) {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'tf-jobs-'));
  if (!dir) dirs.push(d);
  return { dir: d, jobs: new JobStore(d, memoryLogger()) };
}

describe('JobStore (the job file, written off the event loop)', () => {
  it('makes concurrent state changes of one job durable in order, and a restart reads them back', async () => {
    const { dir, jobs } = store();
    const cmd = otaCommand(new Uint8Array(64), ['a', 'b']);
    const key = messageIdHex(cmd.id);
    jobs.begin(key, cmd);
    // two devices' changes at once, then a third: one write at a time, each with the newest states
    await Promise.all([jobs.setState(key, 'a', 'TEST_BOOTING'), jobs.setState(key, 'b', 'TEST_BOOTING')]);
    await jobs.setState(key, 'a', 'CONFIRMED');
    const file = JSON.parse(readFileSync(join(dir, 'ota', 'jobs', `${key}.json`), 'utf8')) as {
      devices: Record<string, string>;
    };
    expect(file.devices).toEqual({ a: 'CONFIRMED', b: 'TEST_BOOTING' });
    const again = store(dir).jobs;
    expect([again.state(key, 'a'), again.state(key, 'b')]).toEqual(['CONFIRMED', 'TEST_BOOTING']);
    expect(again.pending().map((p) => p.key)).toEqual([key]);
  });

  it('removes a finished job after the writes still in progress, so none brings its file back', async () => {
    const { dir, jobs } = store();
    const cmd = otaCommand(new Uint8Array(64), ['a']);
    const key = messageIdHex(cmd.id);
    jobs.begin(key, cmd);
    const write = jobs.setState(key, 'a', 'TEST_BOOTING');
    jobs.remove(key);
    await write;
    await new Promise((r) => setImmediate(r)); // the removal queued behind the write has run
    expect(existsSync(join(dir, 'ota', 'jobs', `${key}.json`))).toBe(false);
    expect(store(dir).jobs.pending()).toEqual([]);
  });
});

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { messageIdHex } from '@tinyfleet/protocol/messages';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../store/index.js';
import { devId, encode, gradUpdate } from '../testing.js';

const CHILD = fileURLToPath(new URL('./durability-child.ts', import.meta.url));
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tf-durable-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('durability of acknowledged uplinks (PROTOCOL.md §2.4 item 3, §2.5 item 2)', () => {
  it.each([
    { mode: 'inline', offload: false },
    { mode: 'offload', offload: true },
  ])(
    '$mode: no PUBACK before the commit, and every PUBACKed GRAD_UPDATE survives SIGKILL',
    async ({ mode, offload }) => {
      const file = join(dir, 'cloud.db');
      const setup = Store.open(file);
      const fleet = setup.fleets.create({ name: 'f' });
      const { gateway, password } = setup.gateways.create({ fleetId: fleet.id, name: 'g' });
      setup.close();

      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, mode], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = once(child, 'exit');
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      const { url, offloading } = JSON.parse(line) as { url: string; offloading: boolean };
      expect(offloading).toBe(offload);

      const client = await mqtt.connectAsync(url, {
        clientId: `gw-${gateway.id}`,
        username: gateway.id,
        password,
        reconnectPeriod: 0,
      });
      client.on('error', () => {});
      const topic = `tf/v1/gw/${gateway.id}/dev/d1/up/grad`;
      const acked: string[] = [];
      const total = 2000;
      let enough: () => void = () => {};
      const killed = new Promise<void>((resolve) => {
        enough = resolve;
      });
      const publish = (from: number, to: number) => {
        for (let step = from; step <= to; step++) {
          client.publish(topic, encode(gradUpdate(1, step)), { qos: 1 }, (err) => {
            if (err) return;
            acked.push(messageIdHex(devId(step + 1000)));
            if (acked.length === 300) enough();
          });
        }
      };

      // While another connection holds the write lock, the cloud receives messages but cannot commit
      // them: it must not acknowledge any.
      const blocker = new Database(file);
      blocker.exec('BEGIN IMMEDIATE');
      publish(1, 50);
      await new Promise((r) => setTimeout(r, 800));
      expect(acked).toEqual([]);
      blocker.exec('ROLLBACK');
      blocker.close();

      // Then kill the cloud while messages are still arriving: some received, not yet committed.
      publish(51, total);
      await killed;
      child.kill('SIGKILL');
      await exited;
      client.end(true);

      const db = new Database(file);
      const rows = db.prepare('SELECT msg_id FROM gradient_updates').all() as { msg_id: string }[];
      db.close();
      const stored = new Set(rows.map((r) => r.msg_id));
      expect(stored.size).toBe(rows.length); // exactly once
      expect(acked.filter((id) => !stored.has(id))).toEqual([]); // acknowledged => durable
      expect(acked.length).toBeGreaterThanOrEqual(300);
    },
    30_000,
  );
});

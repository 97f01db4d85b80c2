/** Replies awaited from devices: a predicate over the device's messages, with a timeout. */
import type { Message } from '@tinyfleet/protocol/messages';
import { GatewayError } from '../errors.js';

interface Waiter {
  readonly match: (m: Message) => boolean;
  readonly resolve: (m: Message) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class Replies {
  readonly #byDevice = new Map<string, Set<Waiter>>();

  wait(deviceId: string, match: (m: Message) => boolean, timeoutMs: number): Promise<Message> {
    return new Promise((resolve, reject) => {
      const set = this.#byDevice.get(deviceId) ?? new Set<Waiter>();
      this.#byDevice.set(deviceId, set);
      const w: Waiter = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          set.delete(w);
          reject(new GatewayError('TIMEOUT', `no reply from ${deviceId} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      set.add(w);
    });
  }

  /** Offers a device message to the waiters of that device. */
  offer(deviceId: string, m: Message): void {
    for (const w of this.#byDevice.get(deviceId) ?? []) {
      if (!w.match(m)) continue;
      clearTimeout(w.timer);
      this.#byDevice.get(deviceId)?.delete(w);
      w.resolve(m);
    }
  }

  /** The device went away: waiters fail with LINK_DOWN. */
  fail(deviceId: string, e: Error): void {
    for (const w of this.#byDevice.get(deviceId) ?? []) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.#byDevice.delete(deviceId);
  }

  clear(): void {
    for (const id of [...this.#byDevice.keys()])
      this.fail(id, new GatewayError('STOPPED', 'gateway stopping'));
  }
}

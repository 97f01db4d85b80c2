/**
 * One live line per device and step for its partial gradient updates. A device splits a step's update
 * into GRAD_UPDATE messages that fit its link (PROTOCOL.md §4.4.7): one line per message said the same
 * thing up to nine times per device and step. Lines are grouped per device: a step's line is printed
 * once the device moves to another step, or `quietMs` after its last message.
 */

interface Pending {
  step: number;
  /** Per layer: structures updated, in how many messages. */
  layers: Map<number, { structures: number; messages: number }>;
  timer: ReturnType<typeof setTimeout>;
}

export interface GradientEvent {
  deviceId: string;
  step: number;
  layer: number;
  updatedCount: number;
}

export class GradientLines {
  readonly #pending = new Map<string, Pending>();
  readonly #print: (line: string) => void;
  readonly #quietMs: number;

  constructor(print: (line: string) => void, quietMs = 300) {
    this.#print = print;
    this.#quietMs = quietMs;
  }

  add(e: GradientEvent): void {
    let p = this.#pending.get(e.deviceId);
    if (p && p.step !== e.step) {
      this.#flush(e.deviceId);
      p = undefined;
    }
    const timer = setTimeout(() => this.#flush(e.deviceId), this.#quietMs);
    if (p) clearTimeout(p.timer);
    else {
      p = { step: e.step, layers: new Map(), timer };
      this.#pending.set(e.deviceId, p);
    }
    p.timer = timer;
    const layer = p.layers.get(e.layer) ?? { structures: 0, messages: 0 };
    layer.structures += e.updatedCount;
    layer.messages++;
    p.layers.set(e.layer, layer);
  }

  /** Print every pending line now (before closing). */
  flushAll(): void {
    for (const device of [...this.#pending.keys()]) this.#flush(device);
  }

  #flush(deviceId: string): void {
    const p = this.#pending.get(deviceId);
    if (!p) return;
    clearTimeout(p.timer);
    this.#pending.delete(deviceId);
    const layers = [...p.layers]
      .sort(([a], [b]) => a - b)
      .map(([layer, l]) => {
        const parts = l.messages === 1 ? '' : ` in ${l.messages} messages`;
        return `layer ${layer} ${l.structures} ${l.structures === 1 ? 'structure' : 'structures'}${parts}`;
      });
    this.#print(`gradient  ${deviceId} step ${p.step}: ${layers.join(', ')}`);
  }
}

/**
 * TEST DOUBLE of a device (not the product's virtual MCU, which is the C host firmware in
 * firmware-templates/): the device side of the link (the protocol's LinkEndpoint) and of the device
 * session (PROTOCOL.md §4.2–§4.4), enough to exercise the gateway. It says HELLO after every link
 * session start, answers TRAIN_START/STOP/CONFIG, grants sample credit and reports one TRAIN_METRICS
 * per `batch` samples received. OTA requests (§4.6) go to its OtaDouble (ota-double.ts).
 */
import { LinkEndpoint } from '@tinyfleet/protocol/link';
import {
  DeviceIdSequence,
  decodeMessage,
  encodeMessage,
  type Message,
  type TrainStatus,
} from '@tinyfleet/protocol/messages';
import type { ByteTransport } from '../transport/index.js';
import { OtaDouble, type OtaDoubleOptions } from './ota-double.js';

export interface DeviceDoubleOptions {
  readonly deviceId: string;
  readonly boot?: number;
  /** Samples the device buffers (HELLO sbuf, first credit). */
  readonly sbuf?: number;
  /** Samples per reported step. */
  readonly batch?: number;
  /** HELLO `ops` (default [1, 4]). */
  readonly opKinds?: number[];
  readonly ota?: OtaDoubleOptions;
  /** Called after each OTA_BLOCK written (tests use it to reset the device mid-transfer). */
  readonly onOtaBlock?: (double: TestDeviceDouble) => void;
}

export class TestDeviceDouble {
  readonly received: Message[] = [];
  readonly samples: number[] = [];
  readonly ota: OtaDouble;
  #ep = new LinkEndpoint({ window: 8 });
  #ids: DeviceIdSequence;
  #timer: NodeJS.Timeout | undefined;
  #session: { sid: number; next: number; step: number; state: TrainStatus['state'] } | undefined;
  #stopped = false;

  constructor(
    private transport: ByteTransport,
    readonly o: DeviceDoubleOptions,
  ) {
    this.#ids = new DeviceIdSequence(o.boot ?? 1);
    this.ota = new OtaDouble(o.ota);
    this.#attach(transport);
  }

  #attach(t: ByteTransport): void {
    this.transport = t;
    t.onData((b) => {
      this.#ep.receiveBytes(b, Date.now());
      this.#pump();
    });
    t.onClose(() => {});
    this.#pump();
  }

  /** Power cycle: a new boot counter, a fresh link endpoint, on a (possibly new) line. */
  reboot(t: ByteTransport = this.transport): void {
    this.#ids = new DeviceIdSequence(this.#ids.bootCounter + 1);
    this.#ep = new LinkEndpoint({ window: 8 });
    this.#session = undefined;
    this.ota.reboot();
    this.#attach(t);
  }

  /**
   * The gateway went away and came back on a new line (a gateway restart): a fresh link session, but
   * the device keeps running: same boot counter, training session and OTA state.
   */
  replug(t: ByteTransport): void {
    this.#ep = new LinkEndpoint({ window: 8 });
    this.#attach(t);
  }

  get bootCounter(): number {
    return this.#ids.bootCounter;
  }

  /** Sends a device message (fresh device-form id). */
  send(make: (id: Uint8Array) => Message): Message {
    const m = make(this.#ids.next());
    this.#ep.send(encodeMessage(m), Date.now());
    this.#pump();
    return m;
  }

  metrics(sid: number, step: number): Message {
    return this.send((id) => ({
      type: 'TRAIN_METRICS',
      id,
      sessionId: sid,
      step,
      samplesSeen: step * 8,
      loss: 1 / step,
      accuracy: 0.5,
      updateRate: 0.25,
      cycles: 1000 * step,
      memoryBytes: 4096,
      durationUs: 100,
    }));
  }

  async close(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.transport.close();
  }

  #pump(): void {
    if (this.#stopped) return;
    const now = Date.now();
    for (const e of this.#ep.takeEvents()) {
      // PROTOCOL.md §4.2 item 1: HELLO after every link session start.
      if (e.type === 'connected') this.#hello();
      else if (e.type === 'message') this.#onMessage(decodeMessage(e.data));
    }
    const out = this.#ep.takeOutbox(now);
    if (out.length > 0) void this.transport.write(out).catch(() => {});
    if (this.#timer) clearTimeout(this.#timer);
    const d = this.#ep.nextDeadlineMs();
    if (d !== undefined)
      this.#timer = setTimeout(
        () => {
          this.#ep.poll(Date.now());
          this.#pump();
        },
        Math.max(0, d - now),
      );
  }

  #hello(): void {
    const boot = this.#ids.bootCounter;
    this.send((id) => ({
      type: 'HELLO',
      id,
      deviceId: this.o.deviceId,
      firmwareVersion: 'double-1',
      abiVersion: 1,
      core: 'host',
      clockHz: 100_000_000,
      flashBytes: 1 << 20,
      ramBytes: 256 << 10,
      slotBytes: this.o.ota?.slotBytes ?? 128 << 10,
      opKinds: this.o.opKinds ?? [1, 4],
      training: true,
      maxMessageBytes: 8192,
      sampleSlots: this.o.sbuf ?? 32,
      bootCounter: boot,
    }));
  }

  #status(re: Uint8Array | undefined): void {
    const s = this.#session;
    if (!s) return;
    this.send((id) => ({
      type: 'TRAIN_STATUS',
      id,
      ...(re && { re }),
      sessionId: s.sid,
      state: s.state,
      step: s.step,
      samplesSeen: s.next,
    }));
  }

  #credit(): void {
    const s = this.#session;
    if (s?.state !== 'RUNNING') return;
    this.send((id) => ({
      type: 'SAMPLE_CREDIT',
      id,
      sessionId: s.sid,
      nextSeq: s.next,
      credit: this.o.sbuf ?? 32,
    }));
  }

  #onMessage(m: Message): void {
    this.received.push(m);
    switch (m.type) {
      case 'TRAIN_START':
        if (!this.#session || this.#session.sid !== m.sessionId)
          this.#session = { sid: m.sessionId, next: 0, step: 0, state: 'RUNNING' };
        this.#status(m.id);
        this.#credit();
        break;
      case 'TRAIN_STOP':
        if (this.#session?.sid === m.sessionId) this.#session.state = 'STOPPED';
        this.#status(m.id);
        break;
      case 'TRAIN_CONFIG':
        this.#status(m.id);
        this.#credit(); // PROTOCOL.md §4.4.4: a running session's credit follows the answer
        break;
      case 'SAMPLE_BATCH': {
        const s = this.#session;
        if (!s || s.sid !== m.sessionId || s.state !== 'RUNNING') return;
        const n = m.shape[0]!;
        if (m.firstSeq + n <= s.next) return; // duplicate (§4.3 item 3)
        for (let i = 0; i < n; i++) this.samples.push(m.labels[i]!);
        s.next = m.firstSeq + n;
        const batch = this.o.batch ?? 16;
        while (Math.floor(s.next / batch) > s.step) {
          s.step++;
          this.metrics(s.sid, s.step);
        }
        this.#credit();
        break;
      }
      case 'HELLO_ACK':
        // PROTOCOL.md §4.6.1: after a reboot the device reports its OTA state right after HELLO_ACK.
        if (this.ota.reportAfterHello) {
          this.ota.reportAfterHello = false;
          const st = this.ota.status();
          this.send((id) => ({ ...st, id }));
        }
        break;
      default:
        if (m.type.startsWith('OTA_')) {
          const before = this.ota.blocksWritten;
          for (const r of this.ota.handle(m)) this.send((id) => ({ ...r, id }) as Message);
          if (m.type === 'OTA_BLOCK' && this.ota.blocksWritten > before) this.o.onOtaBlock?.(this);
        }
        break;
    }
  }
}

/** Test fixtures for the broker: an embedded broker on free ports over an in-memory store, and messages. */
import { decodeMessage, deviceMessageId, encodeMessage, type Message } from '@tinyfleet/protocol/messages';
import { LiveBus, Store } from '../store/index.js';
import { storeAuthenticator } from './auth.js';
import { EmbeddedBroker } from './embedded.js';
import { Ingestor } from './ingest/index.js';

export interface BrokerFixture {
  store: Store;
  bus: LiveBus;
  ingestor: Ingestor;
  broker: EmbeddedBroker;
  serviceSecret: string;
  gateway(name?: string): { id: string; password: string };
  close(): Promise<void>;
}

export async function startBrokerFixture(o: { ingest?: boolean } = {}): Promise<BrokerFixture> {
  const store = Store.open(':memory:');
  const bus = new LiveBus();
  const ingestor = new Ingestor({ store, bus, decode: (b) => decodeMessage(b) });
  const serviceSecret = 'service-secret-for-tests';
  const broker = await EmbeddedBroker.start({
    mqttPort: 0,
    wsPort: 0,
    authenticator: storeAuthenticator(store, serviceSecret),
    ingestor: o.ingest === false ? undefined : ingestor,
    store,
  });
  const fleet = store.fleets.create({ name: 'test' });
  return {
    store,
    bus,
    ingestor,
    broker,
    serviceSecret,
    gateway(name = 'gw') {
      const { gateway, password } = store.gateways.create({ fleetId: fleet.id, name });
      return { id: gateway.id, password };
    },
    async close() {
      await broker.close();
      await ingestor.drain();
      store.close();
    },
  };
}

/** A device's nth message id in boot 1 (PROTOCOL.md §4.1.5). */
export const devId = (n: number) => deviceMessageId(1, n);

export function hello(deviceId: string, n = 0): Message {
  return {
    type: 'HELLO',
    id: devId(n),
    deviceId,
    firmwareVersion: '1.0.0',
    abiVersion: 1,
    core: 'host',
    clockHz: 480_000_000,
    flashBytes: 2 << 20,
    ramBytes: 1 << 20,
    slotBytes: 256 << 10,
    opKinds: [1, 4, 5],
    training: true,
    maxMessageBytes: 8192,
    sampleSlots: 8,
    bootCounter: 1,
  };
}

export function metrics(sessionId: number, step: number, n = step + 100): Message {
  return {
    type: 'TRAIN_METRICS',
    id: devId(n),
    sessionId,
    step,
    samplesSeen: step * 8,
    loss: 0.5,
    accuracy: 0.75,
    updateRate: 0.25,
    cycles: 1000,
    memoryBytes: 4096,
    durationUs: 100,
  };
}

export function gradUpdate(sessionId: number, step: number, n = step + 1000): Message {
  return {
    type: 'GRAD_UPDATE',
    id: devId(n),
    sessionId,
    step,
    layer: 0,
    kind: 'DELTA',
    samplesSeen: step * 8,
    structures: 4,
    elements: 3,
    indices: new Uint16Array([1, 3]),
    values: new Uint8Array(6).fill(128),
    scale: 0.01,
    zeroPoint: 128,
  };
}

export const encode = (m: Message): Buffer => Buffer.from(encodeMessage(m));

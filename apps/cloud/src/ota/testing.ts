/** Test fixtures for OTA: a store in a temp data dir, a fake clock and gateway sender, devices, artifacts. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArtifactModel } from '@tinyfleet/protocol/artifact';
import { exampleArtifactModel, writeArtifact } from '@tinyfleet/protocol/artifact';
import { ErrorCode, OpKind } from '@tinyfleet/protocol/constants';
import { deviceMessageId, type OtaStateName, type OtaStatus } from '@tinyfleet/protocol/messages';
import { LiveBus, type LiveEvent, Store } from '../store/index.js';
import type { OtaJobCommand } from './job.js';
import { OtaService, type OtaServiceOptions } from './service.js';

export interface SentJob {
  gatewayId: string;
  cmd: OtaJobCommand;
}

export interface OtaFixture {
  dir: string;
  store: Store;
  bus: LiveBus;
  ota: OtaService;
  sent: SentJob[];
  live: LiveEvent[];
  clock: { now: number };
  fleetId: string;
  gateway(name?: string): string;
  /** A device with HELLO capabilities able to run the example artifact, overridable. */
  device(id: string, gatewayId: string, caps?: Record<string, unknown>, tags?: string[]): void;
  /** Close the store and open a new one on the same data dir (a cloud restart). */
  restart(): void;
  close(): void;
}

export function artifactModel(over: Partial<ArtifactModel> = {}): ArtifactModel {
  return { ...exampleArtifactModel(), ...over };
}

export function artifactBytes(over: Partial<ArtifactModel> = {}): Uint8Array {
  return writeArtifact(artifactModel(over));
}

export const exampleOpKinds = (): number[] =>
  [...new Set(exampleArtifactModel().ops.map((o) => OpKind[o.kind]))].sort((a, b) => a - b);

export function openOtaFixture(o: Partial<OtaServiceOptions> = {}): OtaFixture {
  const dir = mkdtempSync(join(tmpdir(), 'tf-ota-'));
  const sent: SentJob[] = [];
  const live: LiveEvent[] = [];
  const clock = { now: 1_700_000_000_000 };
  const bus = new LiveBus();
  bus.subscribe((e) => live.push(e));
  const make = (store: Store) =>
    new OtaService({
      store,
      bus,
      dataDir: dir,
      send: async (gatewayId, cmd) => {
        sent.push({ gatewayId, cmd });
      },
      clock: () => clock.now,
      ...o,
    });
  let store = Store.open(join(dir, 'cloud.db'));
  const fleetId = store.fleets.create({ name: 'fleet' }).id;
  const fx: OtaFixture = {
    dir,
    store,
    bus,
    ota: make(store),
    sent,
    live,
    clock,
    fleetId,
    gateway(name = 'gw') {
      return fx.store.gateways.create({ fleetId, name }).gateway.id;
    },
    device(id, gatewayId, caps = {}, tags = []) {
      fx.store.devices.upsertFromHello({
        gatewayId,
        deviceId: id,
        capabilities: {
          core: 'cortex-m7',
          abiVersion: 1,
          slotBytes: 256 << 10,
          ramBytes: 512 << 10,
          opKinds: exampleOpKinds(),
          maxMessageBytes: 8192,
          ...(caps as Record<string, never>),
        },
      });
      if (tags.length > 0) fx.store.devices.patch(id, { tags });
    },
    restart() {
      fx.store.close();
      store = Store.open(join(dir, 'cloud.db'));
      fx.store = store;
      fx.ota = make(store);
    },
    close() {
      fx.store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fx;
}

/** An OTA_STATUS from device boot 1, message `n` (PROTOCOL.md §4.6.8). */
export function otaStatus(
  state: OtaStateName,
  sha256Hex: string,
  n: number,
  extra: Partial<OtaStatus> = {},
): OtaStatus {
  return {
    type: 'OTA_STATUS',
    id: deviceMessageId(1, n),
    state,
    sha256: new Uint8Array(Buffer.from(sha256Hex, 'hex')),
    ...(state === 'FAILED' && { error: ErrorCode.SHA_MISMATCH }),
    ...extra,
  };
}

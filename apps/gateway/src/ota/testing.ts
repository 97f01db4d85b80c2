/**
 * Test fixtures for OTA: signed multi-block artifacts, an in-memory twin of the cloud's block server
 * (answers BLOCK_REQUEST like apps/cloud/src/ota/blocks.ts, with optional tampering), and devices
 * (TestDeviceDouble) behind a real DeviceManager on in-memory serial lines.
 */
import { randomBytes } from 'node:crypto';
import {
  type ArtifactModel,
  exampleArtifactModel,
  keyIdOf,
  privateKeyFromSeed,
  rawPublicKey,
  signArtifact,
  writeArtifact,
} from '@tinyfleet/protocol/artifact';
import { type GwCommand, randomMessageId } from '@tinyfleet/protocol/messages';
import { answerBlockRequest, type BlockData, objectIdOf } from '@tinyfleet/protocol/mqtt';
import { DeviceManager } from '../device/index.js';
import { memoryLogger } from '../log/index.js';
import { TestDeviceDouble } from '../testing/device-double.js';
import type { OtaDoubleOptions } from '../testing/ota-double.js';
import { MemoryPorts } from '../transport/index.js';
import type { BlockChannel } from './fetcher.js';
import { TrustedKeys } from './keys.js';
import { OtaService, type OtaServiceOptions } from './service.js';

/** The example model with a dense layer of `k` outputs: about 64·k bytes, several 4 KiB blocks; k a multiple of 16 (arena alignment). */
export function bigModel(k = 256): ArtifactModel {
  const m = exampleArtifactModel();
  const t = [...m.tensors];
  const q = (i: number) => t[i]!;
  const bytes = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
  t[7] = { ...q(7), shape: [k, 64], data: bytes(64 * k, 7) };
  t[8] = { ...q(8), shape: [k], data: new Uint8Array(4 * k) };
  t[9] = { ...q(9), shape: [1, k], arenaOffset: 64 } as ArtifactModel['tensors'][number];
  t[10] = { ...q(10), shape: [1, k], arenaOffset: 64 + k } as ArtifactModel['tensors'][number];
  t[11] = { ...q(11), arenaOffset: 576 } as ArtifactModel['tensors'][number];
  t[12] = { ...q(12), shape: [1, k], arenaOffset: 640 } as ArtifactModel['tensors'][number];
  return { ...m, tensors: t, arenaInferBytes: Math.max(576, 64 + 2 * k), arenaTrainBytes: 640 + k };
}

export interface SignedArtifact {
  bytes: Uint8Array;
  oid: string;
  keys: Map<string, Uint8Array>;
}

export function signedArtifact(model: ArtifactModel = bigModel()): SignedArtifact {
  const seed = new Uint8Array(randomBytes(32));
  const bytes = signArtifact(writeArtifact(model), seed);
  const pub = rawPublicKey(privateKeyFromSeed(seed));
  return { bytes, oid: objectIdOf(bytes), keys: new Map([[keyIdOf(pub), pub]]) };
}

export function otaCommand(
  bytes: Uint8Array,
  targets: string[],
  over: Record<string, unknown> = {},
): GwCommand {
  return {
    type: 'GW_COMMAND',
    id: randomMessageId(),
    ts: Date.now(),
    commandId: 'ota.job:cmp_test:0000abcd',
    command: 'ota.job',
    targets,
    args: {
      oid: new Uint8Array(Buffer.from(objectIdOf(bytes), 'hex')),
      size: bytes.length,
      confirm: true,
      ...(over as Record<string, never>),
    },
  };
}

/** An in-memory cloud block server: answers each request asynchronously; `tamper` may alter a block. */
export class BlockServerTwin implements BlockChannel {
  online = true;
  served = 0;
  servedBytes = 0;
  requests = 0;
  tamper: ((b: BlockData) => BlockData | undefined) | undefined;
  sink: ((b: BlockData) => void) | undefined;

  constructor(readonly object: Uint8Array) {}

  request(req: Parameters<BlockChannel['request']>[0]): boolean {
    if (!this.online) return false;
    this.requests++;
    const blocks = answerBlockRequest(this.object, objectIdOf(this.object), req);
    setImmediate(() => {
      for (const b of blocks) {
        const out = this.tamper ? this.tamper(b) : b;
        if (!out) continue;
        this.served++;
        this.servedBytes += out.data.length;
        this.sink?.(out);
      }
    });
    return true;
  }
}

export interface Site {
  svc: OtaService;
  cloud: BlockServerTwin;
  devices: TestDeviceDouble[];
  mgr: DeviceManager;
  stop(): Promise<void>;
}

/** An OtaService with `ids.length` device doubles on in-memory serial lines. */
export async function openSite(
  dataDir: string,
  object: Uint8Array,
  keys: ReadonlyMap<string, Uint8Array>,
  ids: string[],
  o: { ota?: OtaDoubleOptions; onOtaBlock?: (d: TestDeviceDouble) => void } & Partial<OtaServiceOptions> = {},
): Promise<Site> {
  const log = memoryLogger('warn');
  const ports = new MemoryPorts();
  const cloud = new BlockServerTwin(object);
  let svc: OtaService | undefined;
  const mgr = new DeviceManager({
    ports: ids.map((id) => `/dev/${id}`),
    open: ports.open,
    health: { windowMs: 10_000, maxErrors: 50, helloTimeoutMs: 2000, holdMs: 60_000 },
    reopen: { baseMs: 20, maxMs: 100 },
    scanIntervalMs: 1000,
    names: {},
    log,
    events: {
      hello: () => {},
      message: (e, m) => svc?.onDeviceMessage(e.deviceId, m),
      detached: (e) => svc?.onDeviceDetached(e.deviceId),
      changed: () => {},
    },
  });
  const devices = ids.map(
    (id) =>
      new TestDeviceDouble(ports.plug(`/dev/${id}`).device, {
        deviceId: id,
        ...(o.ota && { ota: o.ota }),
        ...(o.onOtaBlock && { onOtaBlock: o.onOtaBlock }),
      }),
  );
  svc = new OtaService({
    dataDir,
    keys: new TrustedKeys({ fixed: keys, log }),
    allowUnsigned: false,
    device: (id) => {
      const link = mgr.get(id)?.link;
      return link && { send: (m) => link.send(m), queuedBytes: link.queuedBytes };
    },
    channel: cloud,
    log,
    timings: { attachMs: 5000, replyMs: 2000, verifyMs: 5000, testBootMs: 2000 },
    ...o,
  });
  const s = svc;
  cloud.sink = (b) =>
    s.onDownlink({
      type: 'BLOCK_DATA',
      id: randomMessageId(),
      objectId: b.objectId,
      index: b.index,
      total: b.total,
      data: b.data,
    });
  mgr.start();
  const end = Date.now() + 5000;
  while (ids.some((id) => !mgr.get(id))) {
    if (Date.now() > end) throw new Error('devices did not attach');
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    svc: s,
    cloud,
    devices,
    mgr,
    async stop() {
      s.stop();
      await mgr.stop();
      for (const d of devices) await d.close();
    },
  };
}

/**
 * OTA helpers for the system tests and `bench:ota`: small quantized model artifacts (an MLP by PTQ, so
 * the virtual MCUs can run and smoke-test them), raw uploads to `POST /v1/models`, and the campaign and
 * execution records of the cloud's API (apps/cloud/src/ota/README.md).
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { GraphBuilder, Rng } from '@tinyfleet/cloud/ml';
import { postTrainingQuantize, writeQuantizedArtifact } from '@tinyfleet/cloud/quant';
import type { Api } from './cloud.js';
import { waitFor } from './procs.js';

export interface MlpSpec {
  readonly seed: number;
  readonly modelVersion: number;
  /** Input width and hidden widths: the weights are about in x h1 + h1 x h2 + h2 x 10 bytes. */
  readonly input?: number;
  readonly hidden?: readonly number[];
  readonly name?: string;
}

/** An MLP (dense + relu, softmax head) quantized by PTQ on random calibration inputs in [0, 1). */
export function mlpArtifact(s: MlpSpec): Uint8Array {
  const input = s.input ?? 64;
  const b = new GraphBuilder(s.name ?? `ota-mlp-${s.seed}`, [input], s.seed);
  let x = b.input;
  (s.hidden ?? [128]).forEach((h, i) => {
    x = b.relu(b.dense(x, h, `fc${i}`), `r${i}`);
  });
  const g = b.build([b.softmax(b.dense(x, 10, 'head'), 'sm')]);
  const rng = new Rng(s.seed + 1000);
  const xs = Array.from({ length: 16 }, () => Float32Array.from({ length: input }, () => rng.next()));
  const q = postTrainingQuantize(
    g,
    { size: xs.length, get: (i) => ({ x: (xs[i] as Float32Array).slice(), y: 0 }) },
    { perChannel: false, samples: xs.length },
  );
  return writeQuantizedArtifact(q, {
    modelVersion: s.modelVersion,
    ...(s.name !== undefined && { name: s.name }),
  });
}

/** §5.8: the artifact digest (header field sha256, offset 80), which devices report as their model (HELLO `msha`). */
export const artifactSha = (a: Uint8Array): string => Buffer.from(a.subarray(80, 112)).toString('hex');
/** SHA-256 of the whole file: the object id gateways fetch (§2.7); not what HELLO `msha` reports (§4.2.1). */
export const fileSha = (a: Uint8Array): string => createHash('sha256').update(a).digest('hex');

export interface ModelRecord {
  id: string;
  name: string;
  version: number;
  sha256: string;
  objectId: string;
  size: number;
  keyId: string | null;
}

/** POST /v1/models with the raw file; returns the HTTP status and the JSON answer. */
export async function uploadModel(
  baseUrl: string,
  token: string,
  bytes: Uint8Array,
  query = '?sign=1',
): Promise<{ status: number; body: ModelRecord & { error?: { code: string; message: string } } }> {
  const res = await fetch(`${baseUrl}/v1/models${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
    body: bytes,
    signal: AbortSignal.timeout(10_000),
  });
  return {
    status: res.status,
    body: (await res.json()) as ModelRecord & { error?: { code: string; message: string } },
  };
}

export interface CampaignView {
  id: string;
  status: string;
  phase: number;
  phaseCount: number;
  egressBytes: number;
  reason: string | null;
  excluded: { deviceId: string; code: string; reason: string }[];
  counts?: Record<string, number>;
}

export interface ExecutionView {
  campaignId: string;
  deviceId: string;
  gatewayId: string;
  phase: number;
  state: string;
  error: string | null;
  progress: Record<string, unknown> | null;
  history?: { from: string; to: string; accepted: boolean; cause: string; tsMs: number }[];
}

export const FINAL_CAMPAIGN = new Set(['succeeded', 'aborted', 'canceled']);
export const FINAL_EXECUTION = new Set(['succeeded', 'failed', 'reverted', 'canceled', 'timed-out']);

export async function executions(api: Api, campaignId: string): Promise<ExecutionView[]> {
  const page = await api<{ items: ExecutionView[] }>('GET', `/v1/campaigns/${campaignId}/executions`);
  return page.items;
}

/** Waits for the campaign to reach a final status (or `until`), polling the API (which may be restarting). */
export async function waitCampaign(
  api: () => Api,
  id: string,
  timeoutMs: number,
  until: (c: CampaignView) => boolean = (c) => FINAL_CAMPAIGN.has(c.status),
): Promise<CampaignView> {
  return waitFor(
    `campaign ${id} to finish`,
    async () => {
      const c = await api()<CampaignView>('GET', `/v1/campaigns/${id}`);
      return until(c) ? c : undefined;
    },
    timeoutMs,
    200,
  );
}

/**
 * Two 96x96x32 activations live at once: ~590 KB of arena, more than the vmcu's 512 KiB. A device that
 * reports more RAM passes the cloud's gate and then fails the model on the device.
 */
export function tooBigArenaArtifact(): Uint8Array {
  const b = new GraphBuilder('ota-fat', [96, 96, 3], 7);
  let x = b.conv2d(b.input, 32, 3, { padding: 'same' }, 'c1');
  x = b.conv2d(x, 32, 3, { padding: 'same' }, 'c2');
  const g = b.build([b.dense(b.globalAvgPool(x, 'gap'), 10, 'fc')]);
  const rng = new Rng(3);
  const xs = Array.from({ length: 2 }, () => Float32Array.from({ length: 96 * 96 * 3 }, () => rng.next()));
  const q = postTrainingQuantize(
    g,
    { size: 2, get: (i) => ({ x: (xs[i] as Float32Array).slice(), y: 0 }) },
    { perChannel: false, samples: 2 },
  );
  return writeQuantizedArtifact(q, { modelVersion: 99, name: 'ota-mlp' });
}

/**
 * The vmcu's OTA transfer record in its flash file (firmware-templates/include/tinyfleet/tf_ota.h): after
 * slot A, slot B (512 KiB each, the default) and two 4 KiB slot state pages; a 64-byte header (magic
 * "TFOT", then the transfer's sha), and at offset 576 one 8-byte mark per block, programmed (not all
 * 0xFF) once the block is durable. Waits, reading the file every millisecond, until the transfer of
 * `sha` holds at least `min` durable blocks; returns how many it saw.
 */
export async function durableBlocks(
  flashFile: string,
  sha: string,
  min: number,
  timeoutMs = 30_000,
): Promise<number> {
  const region = 2 * 512 * 1024 + 2 * 4096;
  const want = Buffer.from(sha, 'hex');
  const buf = Buffer.alloc(576 + 8 * 128);
  const end = Date.now() + timeoutMs;
  const fd = openSync(flashFile, 'r');
  try {
    while (Date.now() < end) {
      const n = readSync(fd, buf, 0, buf.length, region);
      if (n === buf.length && buf.subarray(4, 36).equals(want)) {
        let marks = 0;
        for (let off = 576; off < buf.length; off += 8)
          if (buf.subarray(off, off + 8).some((b) => b !== 0xff)) marks++;
        if (marks >= min) return marks;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    closeSync(fd);
  }
  throw new Error(`timed out waiting for ${min} durable blocks of ${sha} in ${flashFile}`);
}

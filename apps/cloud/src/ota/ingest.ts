/**
 * What ingestion (broker/ingest/apply.ts) does with OTA uplinks, inside the transaction that records
 * them in the ledger (PROTOCOL.md §2.5):
 * - OTA_STATUS (§4.6.8) moves the device's execution for that artifact digest, by the mapping of
 *   states.ts; statuses older (by message id, §4.1.5) than the newest applied are ignored;
 * - GW_COMMAND_RESULT of an `ota.job` (§4.7.3) ends the target's execution: ok -> succeeded (test-booting
 *   when the campaign does not confirm), else failed with the error code;
 * - BLOCK_REQUEST (§4.8.1) becomes a `block-request` live event that the block server answers once the
 *   transaction has committed.
 */
import { errorCodeName } from '@tinyfleet/protocol/constants';
import {
  type BlockRequestMessage,
  type GwCommandResult,
  type OtaStatus,
  parseDeviceMessageId,
} from '@tinyfleet/protocol/messages';
import { BlockBitmap } from '@tinyfleet/protocol/mqtt';
import type { JsonObject, LiveEvent, Store } from '../store/index.js';
import { campaignOfCommand } from './job.js';
import { FROM_DEVICE_STATE } from './states.js';
import { transition } from './transition.js';

export interface OtaOrigin {
  gatewayId: string;
  deviceId?: string | undefined;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const errName = (code: number | undefined) =>
  code === undefined ? null : (errorCodeName.get(code) ?? `error ${code}`);

/** A sortable key of a device message id (boot counter, then message counter; §4.1.5). */
function statusSeq(id: Uint8Array): string | undefined {
  const d = parseDeviceMessageId(id);
  if (!d) return undefined;
  return `${d.bootCounter.toString(16).padStart(8, '0')}${d.counter.toString(16).padStart(8, '0')}`;
}

export function applyOtaStatus(store: Store, o: OtaOrigin, m: OtaStatus, nowMs: number): LiveEvent[] {
  const to = FROM_DEVICE_STATE[m.state];
  if (!o.deviceId || !to || !m.sha256) return [];
  const e = store.executions.latestForDevice(o.deviceId, hex(m.sha256));
  if (!e) return [];
  const seq = statusSeq(m.id);
  // PROTOCOL.md §4.6.8: receivers keep, per device, the status with the largest id.
  if (seq !== undefined && e.statusSeq !== null && seq <= e.statusSeq) return [];
  const progress: JsonObject | undefined =
    m.have && m.blocks ? { have: BlockBitmap.fromBytes(m.have, m.blocks).setCount, nb: m.blocks } : undefined;
  const version =
    m.modelVersion ?? store.models.get(store.campaigns.get(e.campaignId)?.modelId ?? '')?.version;
  const t = transition(store, e, to, `OTA_STATUS ${m.state}`, nowMs, {
    error: errName(m.error),
    statusSeq: seq,
    progress,
    deviceModel: `${hex(m.sha256)}@${version ?? 0}`,
  });
  return t.status === 'changed' ? [t.event] : [];
}

/** Handles the result when `m` answers an `ota.job`; false when it is some other command's result. */
export function applyOtaCommandResult(
  store: Store,
  o: OtaOrigin,
  m: GwCommandResult,
  nowMs: number,
): { handled: boolean; events: LiveEvent[] } {
  const campaignId = campaignOfCommand(m.commandId);
  if (campaignId === undefined) return { handled: false, events: [] };
  const c = store.campaigns.get(campaignId);
  const e = m.deviceId === undefined ? undefined : store.executions.get(campaignId, m.deviceId);
  if (!c || !e || e.gatewayId !== o.gatewayId) return { handled: true, events: [] };
  const model = store.models.get(c.modelId);
  const to = !m.ok ? 'failed' : c.policy.confirm ? 'succeeded' : 'test-booting';
  const t = transition(store, e, to, `GW_COMMAND_RESULT ${m.commandId}`, nowMs, {
    error: m.ok ? null : `${errName(m.error)}${m.text ? `: ${m.text}` : ''}`,
    deviceModel: model && `${model.sha256}@${model.version}`,
  });
  return { handled: true, events: t.status === 'changed' ? [t.event] : [] };
}

export function blockRequestEvent(o: OtaOrigin, m: BlockRequestMessage): LiveEvent {
  return {
    type: 'block-request',
    gatewayId: o.gatewayId,
    msgId: m.id,
    objectId: m.objectId,
    size: m.size,
    blockSize: m.blockSize,
    wanted: m.wanted,
  };
}

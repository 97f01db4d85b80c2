/**
 * The `ota.job` gateway command (PROTOCOL.md §4.7.2): fetch the object by block transfer (§2.7), check its
 * signature (§5.9), then run §4.6 on each target. `args` carries the §4.7.2 keys `oid`, `size`, `confirm`,
 * plus what the gateway needs for `OTA_OFFER` (§4.6.2) without opening the file: `sha`, `mver`, `kid`.
 */
import { randomBytes } from 'node:crypto';
import { type GwCommand, randomMessageId } from '@tinyfleet/protocol/messages';
import type { ModelRecord } from '../store/index.js';

export interface OtaJobCommand {
  op: 'ota.job';
  commandId: string;
  deviceIds: string[];
  model: Pick<ModelRecord, 'objectId' | 'size' | 'sha256' | 'version' | 'keyId' | 'name'>;
  confirm: boolean;
}

const CID = /^ota\.job:([A-Za-z0-9_-]{1,48}):[0-9a-f]{8}$/;

/** A fresh command id naming the campaign: `ota.job:<campaign id>:<nonce>`. */
export function otaCommandId(campaignId: string): string {
  return `ota.job:${campaignId}:${randomBytes(4).toString('hex')}`;
}

/** The campaign an `ota.job` command id names, or undefined for any other command id. */
export function campaignOfCommand(commandId: string): string | undefined {
  return CID.exec(commandId)?.[1];
}

const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

export function otaJobMessage(cmd: OtaJobCommand, nowMs = Date.now()): GwCommand {
  const m = cmd.model;
  return {
    type: 'GW_COMMAND',
    id: randomMessageId(),
    ts: nowMs,
    commandId: cmd.commandId,
    command: 'ota.job',
    targets: cmd.deviceIds,
    args: {
      oid: bytes(m.objectId),
      size: m.size,
      confirm: cmd.confirm,
      sha: bytes(m.sha256),
      mver: m.version,
      kid: bytes(m.keyId),
      name: m.name,
    },
  };
}

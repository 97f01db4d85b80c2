/**
 * Cohort selection and the compatibility gate. A device is checked against the model before anything is
 * sent: core, runtime ABI (PROTOCOL.md §5.2), slot size >= artifact file (§4.6.1 `NO_SPACE`), RAM >= the
 * inference arena (§5.6), op kinds ⊆ the kernels of its HELLO (§4.2.1, §5.4), message size for OTA blocks
 * (§4.1.6), not already running the model, not busy in another campaign.
 */
import { opKindName, P } from '@tinyfleet/protocol/constants';
import type { CampaignTarget, Device, Exclusion, Json, ModelRecord, Store } from '../store/index.js';

export type ExclusionCode =
  | 'UNKNOWN_DEVICE'
  | 'NO_HELLO'
  | 'CORE'
  | 'ABI'
  | 'SLOT'
  | 'RAM'
  | 'OPS'
  | 'MESSAGE_SIZE'
  | 'INSTALLED'
  | 'BUSY';

/** The capabilities a device announced in HELLO, as ingestion stored them (broker/ingest/apply.ts). */
export interface DeviceCaps {
  core: string;
  abiVersion: number;
  slotBytes: number;
  ramBytes: number;
  opKinds: number[];
  maxMessageBytes: number;
}

const num = (v: Json | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

export function deviceCaps(d: Device): DeviceCaps | undefined {
  const c = d.capabilities;
  const ops = c.opKinds;
  const core = c.core;
  const caps = {
    abiVersion: num(c.abiVersion),
    slotBytes: num(c.slotBytes),
    ramBytes: num(c.ramBytes),
    maxMessageBytes: num(c.maxMessageBytes),
  };
  if (typeof core !== 'string' || !Array.isArray(ops)) return undefined;
  if (Object.values(caps).some((v) => v === undefined)) return undefined;
  return {
    core,
    abiVersion: caps.abiVersion ?? 0,
    slotBytes: caps.slotBytes ?? 0,
    ramBytes: caps.ramBytes ?? 0,
    maxMessageBytes: caps.maxMessageBytes ?? 0,
    opKinds: ops.filter((o): o is number => typeof o === 'number'),
  };
}

const excl = (deviceId: string, code: ExclusionCode, reason: string): Exclusion => ({
  deviceId,
  code,
  reason,
});

/** Why `d` cannot take `m`, or undefined when it can (the static part of the gate). */
export function checkCompat(m: ModelRecord, d: Device): Exclusion | undefined {
  const caps = deviceCaps(d);
  if (!caps) return excl(d.id, 'NO_HELLO', 'no HELLO capabilities recorded');
  if (m.cores.length > 0 && !m.cores.includes(caps.core)) {
    return excl(d.id, 'CORE', `core ${caps.core} not in ${m.cores.join(', ')}`);
  }
  if (m.abiVersion > caps.abiVersion) {
    return excl(d.id, 'ABI', `artifact needs ABI ${m.abiVersion}, device implements ${caps.abiVersion}`);
  }
  if (m.size > caps.slotBytes) {
    return excl(d.id, 'SLOT', `artifact of ${m.size} bytes, slot of ${caps.slotBytes}`);
  }
  if (m.arenaInferBytes > caps.ramBytes) {
    return excl(d.id, 'RAM', `arena of ${m.arenaInferBytes} bytes, RAM of ${caps.ramBytes}`);
  }
  const missing = m.opKinds.filter((k) => !caps.opKinds.includes(k));
  if (missing.length > 0) {
    const names = missing.map((k) => opKindName.get(k) ?? String(k));
    return excl(d.id, 'OPS', `device lacks kernels ${names.join(', ')}`);
  }
  // PROTOCOL.md §4.1.6 item 4: OTA blocks need mmsg >= P.OTA_BLOCK_BYTES + 128.
  if (caps.maxMessageBytes < P.OTA_BLOCK_BYTES + 128) {
    return excl(d.id, 'MESSAGE_SIZE', `link messages of ${caps.maxMessageBytes} bytes are too small for OTA`);
  }
  // PROTOCOL.md §4.2.1, §5.8: a device's model is recorded as `<content digest>@<version>`, from HELLO
  // `msha` or from OTA_STATUS CONFIRMED; both name the model by the same digest as the model record.
  if (d.currentModel?.split('@')[0] === m.sha256) return excl(d.id, 'INSTALLED', 'already runs this model');
  return undefined;
}

export interface Cohort {
  eligible: Device[];
  excluded: Exclusion[];
}

const byId = (a: Device, b: Device) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function matchesTarget(d: Device, t: CampaignTarget): boolean {
  if (t.fleetId !== undefined && d.fleetId !== t.fleetId) return false;
  if (t.profile !== undefined && d.profile !== t.profile) return false;
  if (t.core !== undefined && d.capabilities.core !== t.core) return false;
  return (t.tags ?? []).every((tag) => d.tags.includes(tag));
}

function allDevices(store: Store, fleetId: string | undefined): Device[] {
  const out: Device[] = [];
  let cursor: string | undefined;
  do {
    const page = store.devices.list({ limit: 500, cursor, fleetId });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return out;
}

/** The devices a target names, split into eligible (by id) and excluded with the reason. */
export function selectCohort(store: Store, m: ModelRecord, t: CampaignTarget): Cohort {
  const excluded: Exclusion[] = [];
  let candidates: Device[];
  if (t.deviceIds !== undefined) {
    candidates = [];
    for (const id of new Set(t.deviceIds)) {
      const d = store.devices.get(id);
      if (d) candidates.push(d);
      else excluded.push(excl(id, 'UNKNOWN_DEVICE', 'no such device'));
    }
  } else {
    candidates = allDevices(store, t.fleetId);
  }
  const eligible: Device[] = [];
  for (const d of candidates.filter((x) => matchesTarget(x, t)).sort(byId)) {
    const busy = store.executions.activeForDevice(d.id)[0];
    const why =
      checkCompat(m, d) ??
      (busy ? excl(d.id, 'BUSY', `in campaign ${busy.campaignId} (${busy.state})`) : undefined);
    if (why) excluded.push(why);
    else eligible.push(d);
  }
  return { eligible, excluded };
}

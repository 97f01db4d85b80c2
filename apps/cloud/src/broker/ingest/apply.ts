/**
 * The effect of one accepted uplink message on the store (PROTOCOL.md §2.5 item 2: runs inside the
 * transaction that also records the message in the ledger). Returns the live events to emit once the
 * transaction has committed.
 */

import { messageIdHex } from '@tinyfleet/protocol/messages';
import { applyOtaCommandResult, applyOtaStatus, blockRequestEvent } from '../../ota/index.js';
import {
  type EventLevel,
  gradientFields,
  type JsonObject,
  type LiveEvent,
  type NewGradientUpdate,
  type Store,
} from '../../store/index.js';
import type { UplinkMessage } from './messages.js';
import { applyDeviceBoot, applySessionResult, applyTrainStatus } from './sessions.js';

/** Where a message came from: the topic's gateway and, for relayed messages, device (PROTOCOL.md §2.1). */
export interface Origin {
  gatewayId: string;
  deviceId?: string | undefined;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** No live events (shared, never mutated by callers: they only read it). */
const NONE: LiveEvent[] = [];

const LOG_LEVEL: Record<string, EventLevel> = { ERROR: 'error', WARN: 'warn', INFO: 'info', DEBUG: 'debug' };

/**
 * What the messages of one ingest transaction share. `events`: build the stream events of metrics and
 * gradient updates (false when no listener wants them). `sessions`: (gateway, wire id) -> session id, as
 * looked up or created in this transaction (a wire id never changes owner: ../../store/repo/sessions.ts).
 * `gradients`: when present, gradient updates are collected there and stored together at the end of the
 * batch (`writeGradients`); absent, each is stored at once.
 */
export interface ApplyBatch {
  events: boolean;
  sessions: Map<string, string>;
  gradients?: PendingGradients;
}

/** Gradient updates of a batch waiting for `writeGradients`, with the events that need their row ids. */
export interface PendingGradients {
  rows: NewGradientUpdate[];
  /** The `update` of each row's live event (its id is set once the row exists), or undefined. */
  events: ({ id: number } | undefined)[];
}

/** Store the batch's gradient updates (inside its transaction, before the commit), and fill in their ids. */
export function writeGradients(store: Store, pending: PendingGradients): void {
  if (pending.rows.length === 0) return;
  const ids = store.gradients.insertMany(pending.rows);
  pending.events.forEach((e, i) => {
    if (e) e.id = ids[i] as number;
  });
  pending.rows = [];
  pending.events = [];
}

/** The id of the cloud session a device's session id names; a session started at the gateway is adopted. */
function sessionFor(store: Store, o: Origin, wireId: number, nowMs: number, batch?: ApplyBatch): string {
  const key = `${o.gatewayId}/${wireId}`;
  const known = batch?.sessions.get(key);
  if (known !== undefined) return known;
  const id =
    store.sessions.idByWireId(o.gatewayId, wireId) ??
    store.sessions.create(
      {
        gatewayId: o.gatewayId,
        deviceIds: o.deviceId ? [o.deviceId] : [],
        config: {},
        wireId,
        status: 'running',
      },
      nowMs,
    ).id;
  batch?.sessions.set(key, id);
  return id;
}

/** Command ids the cloud issues for sessions: `<command>:<session id>:<nonce>` (see ../commander.ts). */
const SESSION_CID = /^(train\.start|train\.stop|train\.config):([A-Za-z0-9_-]+):/;

export function applyMessage(
  store: Store,
  o: Origin,
  m: UplinkMessage,
  raw: Uint8Array,
  nowMs: number,
  batch?: ApplyBatch,
): LiveEvent[] {
  const base = { gatewayId: o.gatewayId, deviceId: o.deviceId ?? null };
  const dev = o.deviceId ?? '';
  switch (m.type) {
    case 'GW_STATUS': {
      // PROTOCOL.md §2.3 item 5: keep the newest connection's status; a late will of an older connection
      // (smaller `since`) must not undo it, nor may a reordered "online" undo its own connection's end.
      const gateway = store.gateways.get(o.gatewayId);
      const prev = gateway?.status;
      const prevSince = typeof prev?.since === 'number' ? prev.since : -1;
      if (m.since < prevSince) return [];
      if (m.since === prevSince && prev?.online === false && m.online) return [];
      const status: JsonObject = {
        online: m.online,
        gatewayVersion: m.gatewayVersion,
        since: m.since,
        ts: m.ts,
      };
      if (m.uptimeMs !== undefined) status.uptimeMs = m.uptimeMs;
      if (m.outbox !== undefined) status.outbox = m.outbox;
      if (!store.gateways.setPresence(o.gatewayId, m.online, status, nowMs)) return [];
      // The stream announces changes of presence, not every status a gateway sends.
      const events: LiveEvent[] =
        gateway?.online === m.online
          ? []
          : [{ type: 'presence', gatewayId: o.gatewayId, online: m.online, tsMs: nowMs }];
      // Device presence changes first (setLinked reports a change only), then the rest goes offline too.
      for (const d of m.devices ?? []) {
        const linked = m.online && d.linked;
        if (store.devices.setLinked(d.deviceId, linked, d.lastSeen ?? null)) {
          events.push({
            type: 'presence',
            gatewayId: o.gatewayId,
            deviceId: d.deviceId,
            online: linked,
            tsMs: nowMs,
          });
        }
      }
      if (!m.online) store.devices.markGatewayOffline(o.gatewayId);
      return events;
    }
    case 'HELLO': {
      const capabilities: JsonObject = {
        firmwareVersion: m.firmwareVersion,
        abiVersion: m.abiVersion,
        core: m.core,
        clockHz: m.clockHz,
        flashBytes: m.flashBytes,
        ramBytes: m.ramBytes,
        slotBytes: m.slotBytes,
        opKinds: [...m.opKinds],
        training: m.training,
        maxMessageBytes: m.maxMessageBytes,
        sampleSlots: m.sampleSlots,
      };
      if (m.baud !== undefined) capabilities.baud = m.baud;
      const model = m.modelSha256 && `${hex(m.modelSha256)}@${m.modelVersion ?? 0}`;
      store.devices.upsertFromHello(
        { gatewayId: o.gatewayId, deviceId: dev, capabilities, currentModel: model },
        nowMs,
      );
      applyDeviceBoot(store, o.gatewayId, dev, m.bootCounter, nowMs); // a session it ran is gone
      store.events.add({
        ...base,
        level: 'info',
        kind: 'device.hello',
        message: `${dev} ${m.core} fw ${m.firmwareVersion}`,
      });
      return [{ type: 'presence', gatewayId: o.gatewayId, deviceId: dev, online: true, tsMs: nowMs }];
    }
    case 'HEARTBEAT':
      store.devices.touch(dev, nowMs);
      return [];
    case 'LOG':
      store.events.add({
        ...base,
        level: LOG_LEVEL[m.level] ?? 'info',
        kind: o.deviceId ? 'device.log' : 'gateway.log',
        message: m.text,
        data: m.tag === undefined ? undefined : { tag: m.tag },
      });
      return [];
    case 'ERROR':
      store.events.add({
        ...base,
        level: 'warn',
        kind: o.deviceId ? 'device.error' : 'gateway.error',
        message: m.text ?? `error code ${m.code}`,
        data: { code: m.code, re: m.re ? hex(m.re) : null },
      });
      return [];
    case 'TRAIN_STATUS': {
      // PROTOCOL.md §4.4.5: per device the newest status wins; the session ends when all its devices have.
      applyTrainStatus(store, sessionFor(store, o, m.sessionId, nowMs, batch), o.gatewayId, dev, m, nowMs);
      return [];
    }
    case 'TRAIN_METRICS': {
      // PROTOCOL.md §2.5 item 5: placed by session and step, not by arrival.
      const point = {
        sessionId: sessionFor(store, o, m.sessionId, nowMs, batch),
        deviceId: dev,
        gatewayId: o.gatewayId,
        step: m.step,
        tsMs: m.ts ?? nowMs,
        values: {
          samplesSeen: m.samplesSeen,
          loss: m.loss,
          accuracy: m.accuracy,
          updateRate: m.updateRate,
          cycles: m.cycles,
          memoryBytes: m.memoryBytes,
          durationUs: m.durationUs,
        },
      };
      const id = store.metrics.insert(point);
      store.devices.touch(dev, nowMs);
      return batch?.events === false ? NONE : [{ type: 'metrics', point: { id, ...point } }];
    }
    case 'GRAD_UPDATE': {
      // Stored once, as received; `fields` are decoded from it when read (../../store/repo/gradients.ts).
      const row: NewGradientUpdate = {
        sessionId: sessionFor(store, o, m.sessionId, nowMs, batch),
        deviceId: dev,
        gatewayId: o.gatewayId,
        msgId: messageIdHex(m.id),
        step: m.step,
        layer: m.layer,
        updatedCount: m.indices.length,
        tsMs: m.ts ?? nowMs,
        raw,
      };
      if (batch?.events === false) {
        if (batch.gradients) {
          batch.gradients.rows.push(row);
          batch.gradients.events.push(undefined);
        } else store.gradients.insert(row);
        return NONE;
      }
      const { raw: _, ...update } = row;
      const live = { id: 0, ...update, fields: gradientFields(m) };
      if (batch?.gradients) {
        batch.gradients.rows.push(row);
        batch.gradients.events.push(live);
      } else live.id = store.gradients.insert(row);
      return [{ type: 'gradient', update: live }];
    }
    case 'GW_COMMAND_RESULT': {
      const ota = applyOtaCommandResult(store, o, m, nowMs); // `ota.job` results (PROTOCOL.md §4.7.2)
      const match = SESSION_CID.exec(m.commandId);
      const session = match?.[2] === undefined ? undefined : store.sessions.get(match[2]);
      if (session && match?.[1]) applySessionResult(store, session, match[1], m, nowMs);
      store.events.add({
        ...base,
        deviceId: m.deviceId ?? null,
        sessionId: session?.id ?? null,
        level: m.ok ? 'info' : 'warn',
        kind: 'command.result',
        message: `${m.commandId}: ${m.ok ? 'ok' : `failed (${m.error ?? 0})`}${m.text ? ` ${m.text}` : ''}`,
      });
      return ota.events;
    }
    case 'OTA_STATUS': // PROTOCOL.md §4.6.8 -> the device's OTA execution (apps/cloud/src/ota/ingest.ts)
      store.devices.touch(dev, nowMs);
      return applyOtaStatus(store, o, m, nowMs);
    case 'BLOCK_REQUEST': // PROTOCOL.md §2.7 step 4: answered after the commit by the OTA block server
      return [blockRequestEvent(o, m)];
    default:
      // INFER_RESULT: recorded; its feature lands with inference.
      store.events.add({ ...base, level: 'debug', kind: `message.${m.type.toLowerCase()}`, message: m.type });
      return [];
  }
}

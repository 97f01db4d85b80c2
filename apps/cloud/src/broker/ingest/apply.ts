/**
 * The effect of one accepted uplink message on the store (PROTOCOL.md §2.5 item 2: runs inside the
 * transaction that also records the message in the ledger). Returns the live events to emit once the
 * transaction has committed.
 */

import { applyOtaCommandResult, applyOtaStatus, blockRequestEvent } from '../../ota/index.js';
import type { EventLevel, JsonObject, LiveEvent, SessionStatus, Store } from '../../store/index.js';
import type { UplinkMessage } from './messages.js';

/** Where a message came from: the topic's gateway and, for relayed messages, device (PROTOCOL.md §2.1). */
export interface Origin {
  gatewayId: string;
  deviceId?: string | undefined;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

const LOG_LEVEL: Record<string, EventLevel> = { ERROR: 'error', WARN: 'warn', INFO: 'info', DEBUG: 'debug' };

// PROTOCOL.md §4.4.5: TRAIN_STATES -> session status.
const TRAIN_STATE: Record<string, SessionStatus> = {
  RUNNING: 'running',
  STOPPED: 'stopped',
  DONE: 'done',
  FAILED: 'failed',
};

/** The id of the cloud session a device's session id names; a session started at the gateway is adopted. */
function sessionFor(store: Store, o: Origin, wireId: number, nowMs: number): string {
  return (
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
    ).id
  );
}

/** Command ids the cloud issues for sessions: `<command>:<session id>:<nonce>` (see ../commander.ts). */
const SESSION_CID = /^(train\.start|train\.stop|train\.config):([A-Za-z0-9_-]+):/;

/** `idHex`: the message id in hex, when the caller already has it (the ledger key). */
export function applyMessage(
  store: Store,
  o: Origin,
  m: UplinkMessage,
  raw: Uint8Array,
  nowMs: number,
  idHex?: string,
): LiveEvent[] {
  const base = { gatewayId: o.gatewayId, deviceId: o.deviceId ?? null };
  const dev = o.deviceId ?? '';
  switch (m.type) {
    case 'GW_STATUS': {
      // PROTOCOL.md §2.3 item 5: keep the newest connection's status; a late will of an older connection
      // (smaller `since`) must not undo it, nor may a reordered "online" undo its own connection's end.
      const prev = store.gateways.get(o.gatewayId)?.status;
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
      const events: LiveEvent[] = [
        { type: 'presence', gatewayId: o.gatewayId, online: m.online, tsMs: nowMs },
      ];
      if (!m.online) store.devices.markGatewayOffline(o.gatewayId);
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
      const sessionId = sessionFor(store, o, m.sessionId, nowMs);
      const status = TRAIN_STATE[m.state];
      // TODO: sessions of several devices should end when all have ended; for now the latest report wins.
      if (status)
        store.sessions.setStatus(sessionId, status, m.text ?? (m.error ? `error ${m.error}` : null), nowMs);
      store.events.add({
        ...base,
        sessionId,
        level: m.state === 'FAILED' ? 'warn' : 'info',
        kind: 'session.status',
        message: `${dev}: ${m.state} at step ${m.step}`,
        data: { state: m.state, step: m.step, samplesSeen: m.samplesSeen, error: m.error ?? null },
      });
      return [];
    }
    case 'TRAIN_METRICS': {
      // PROTOCOL.md §2.5 item 5: placed by session and step, not by arrival.
      const point = {
        sessionId: sessionFor(store, o, m.sessionId, nowMs),
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
      return [{ type: 'metrics', point: { id, ...point } }];
    }
    case 'GRAD_UPDATE': {
      const update = {
        sessionId: sessionFor(store, o, m.sessionId, nowMs),
        deviceId: dev,
        gatewayId: o.gatewayId,
        msgId: idHex ?? hex(m.id),
        step: m.step,
        layer: m.layer,
        updatedCount: m.indices.length,
        tsMs: m.ts ?? nowMs,
        fields: {
          kind: m.kind,
          samplesSeen: m.samplesSeen,
          structures: m.structures,
          elements: m.elements,
          scale: m.scale,
          zeroPoint: m.zeroPoint,
          ...(m.eps !== undefined && { eps: m.eps }),
        },
      };
      const id = store.gradients.insert({ ...update, raw });
      return [{ type: 'gradient', update: { id, ...update } }];
    }
    case 'GW_COMMAND_RESULT': {
      const ota = applyOtaCommandResult(store, o, m, nowMs); // `ota.job` results (PROTOCOL.md §4.7.2)
      const match = SESSION_CID.exec(m.commandId);
      const session = match?.[2] === undefined ? undefined : store.sessions.get(match[2]);
      if (session && match) {
        if (!m.ok) store.sessions.setStatus(session.id, 'failed', m.text ?? `error ${m.error ?? 0}`, nowMs);
        else if (match[1] === 'train.start' && session.status === 'starting') {
          store.sessions.setStatus(session.id, 'running', null, nowMs);
        } else if (match[1] === 'train.stop' && session.status === 'stopping') {
          store.sessions.setStatus(session.id, 'stopped', null, nowMs);
        }
      }
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

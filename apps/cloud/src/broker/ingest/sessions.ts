/**
 * The status of a training session from the states of its devices (PROTOCOL.md §4.4). Each device's
 * state is its newest TRAIN_STATUS by message id (§4.4.5: "the status with the largest id", ordered by
 * (boot, counter), §4.1.5), or FAILED when the gateway could not start or stop it there (a failed
 * GW_COMMAND_RESULT, §4.7.3). The reports are the session's `session.status` events (data: `state`,
 * `seq`, ...), so they survive restarts and need no table of their own.
 *
 * While any device has not ended, the session is `running` (or stays `created` / `starting` /
 * `stopping`). Once every device has ended (STOPPED, DONE or FAILED):
 *
 * | devices | session | `error` |
 * | --- | --- | --- |
 * | all DONE | `done` | null |
 * | none FAILED, some STOPPED | `stopped` | null |
 * | all FAILED | `failed` | each device's reason |
 * | some FAILED, the others DONE or STOPPED | `partial` | the failed devices' reasons, "k of n ended" |
 *
 * A device whose model an OTA replaces (its test boot, §4.6.1) ends the session itself with STOPPED and
 * the reason in `msg` (§4.4.5): it counts as stopped, not failed, and the reason is kept in its report.
 */
import type { GwCommandResult, TrainStatus } from '@tinyfleet/protocol/messages';
import type { Json, SessionStatus, Store, TrainingSession } from '../../store/index.js';

export type DeviceTrainState = 'RUNNING' | 'STOPPED' | 'DONE' | 'FAILED';

/** One device's report, as kept in a `session.status` event's data. */
export interface DeviceReport {
  deviceId: string;
  state: DeviceTrainState;
  /**
   * Sort key: the device message id as boot and counter (16 hex digits, big-endian). A gateway's report
   * (failed command) takes the device's newest key + '+', so it sorts after it and before any later one.
   */
  seq: string;
  step?: number;
  samplesSeen?: number;
  reason?: string | null;
}

const FINAL = new Set<DeviceTrainState>(['STOPPED', 'DONE', 'FAILED']);
const STATES = new Set<string>(['RUNNING', 'STOPPED', 'DONE', 'FAILED']);

/** §4.1.5: a device message id is boot (u32 LE) then counter (u32 LE); as a key that sorts in sending order. */
export function deviceSeq(id: Uint8Array): string {
  if (id.length !== 8) return '';
  const v = new DataView(id.buffer, id.byteOffset, id.byteLength);
  const hex8 = (n: number) => n.toString(16).padStart(8, '0');
  return `${hex8(v.getUint32(0, true))}${hex8(v.getUint32(4, true))}`;
}

/** Each device's newest report (by seq; at equal seq, the later one). */
export function latestByDevice(reports: readonly DeviceReport[]): Map<string, DeviceReport> {
  const latest = new Map<string, DeviceReport>();
  for (const r of reports) {
    const prev = latest.get(r.deviceId);
    if (!prev || r.seq >= prev.seq) latest.set(r.deviceId, r);
  }
  return latest;
}

/** The session's status once every device has ended; undefined while one has not (or has not reported). */
export function sessionOutcome(
  deviceIds: readonly string[],
  reports: readonly DeviceReport[],
): { status: SessionStatus; error: string | null } | undefined {
  const latest = latestByDevice(reports);
  const all = [...new Set([...deviceIds, ...latest.keys()])];
  if (all.length === 0) return undefined;
  const states = all.map((d) => latest.get(d));
  if (states.some((r) => r === undefined || !FINAL.has(r.state))) return undefined;
  const ended = states as DeviceReport[];
  const failed = ended.filter((r) => r.state === 'FAILED');
  const why = failed.map((r) => `${r.deviceId}: ${r.reason ?? 'failed'}`).join('; ');
  if (failed.length === ended.length) return { status: 'failed', error: why };
  if (failed.length > 0) {
    return {
      status: 'partial',
      error: `${ended.length - failed.length} of ${ended.length} devices ended without error; ${why}`,
    };
  }
  return { status: ended.every((r) => r.state === 'DONE') ? 'done' : 'stopped', error: null };
}

function asReport(deviceId: string | null, data: Json | null): DeviceReport | undefined {
  if (deviceId === null || typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const { state, seq } = data as Record<string, Json>;
  if (typeof state !== 'string' || !STATES.has(state) || typeof seq !== 'string') return undefined;
  const { reason, step } = data as Record<string, Json>;
  return {
    deviceId,
    state: state as DeviceTrainState,
    seq,
    ...(typeof reason === 'string' && { reason }),
    ...(typeof step === 'number' && { step }),
  };
}

const reportsOf = (store: Store, sessionId: string): DeviceReport[] =>
  store.sessions.statusEvents(sessionId).flatMap((e) => asReport(e.deviceId, e.data) ?? []);

/** Recomputes the session's status from its device reports and stores it when it changed. */
function settle(store: Store, s: TrainingSession, reported: DeviceTrainState, nowMs: number): void {
  const reports = reportsOf(store, s.id);
  const latest = latestByDevice(reports);
  // A session adopted from a gateway (local CLI) learns its devices from their reports.
  const extra = [...latest.keys()].filter((d) => !s.deviceIds.includes(d));
  if (extra.length > 0) store.sessions.setDevices(s.id, [...s.deviceIds, ...extra], nowMs);
  const outcome = sessionOutcome(s.deviceIds, reports);
  if (outcome) {
    if (outcome.status !== s.status || outcome.error !== s.error)
      store.sessions.setStatus(s.id, outcome.status, outcome.error, nowMs);
    return;
  }
  // Not every device has ended: it runs (a stop asked for stays `stopping` until all have ended).
  if (s.status === 'stopping' || s.status === 'running') return;
  if (reported !== 'RUNNING' && (s.status === 'created' || s.status === 'starting')) return;
  store.sessions.setStatus(s.id, 'running', null, nowMs);
}

const errorText = (code: number | undefined, text: string | undefined) =>
  text ? `${text}${code === undefined ? '' : ` (error ${code})`}` : `error ${code ?? 0}`;

/** A device's TRAIN_STATUS (§4.4.5): recorded as a report, then the session's status is settled. */
export function applyTrainStatus(
  store: Store,
  sessionId: string,
  gatewayId: string,
  deviceId: string,
  m: TrainStatus,
  nowMs: number,
): void {
  store.events.add({
    gatewayId,
    deviceId,
    sessionId,
    level: m.state === 'FAILED' ? 'warn' : 'info',
    kind: 'session.status',
    message: `${deviceId}: ${m.state} at step ${m.step}`,
    data: {
      state: m.state,
      seq: deviceSeq(m.id),
      step: m.step,
      samplesSeen: m.samplesSeen,
      error: m.error ?? null,
      reason: m.state === 'FAILED' ? errorText(m.error, m.text) : (m.text ?? null),
    },
    tsMs: nowMs,
  });
  settle(store, store.sessions.require(sessionId), m.state as DeviceTrainState, nowMs);
}

/**
 * The GW_COMMAND_RESULT of a session command (§4.7.3), one per target device. A failed start or stop
 * ends that device's part (FAILED, with the gateway's reason); a failed config changes nothing on the
 * device (§4.4.4), so only its command.result event tells. A start that succeeded makes the session run.
 */
export function applySessionResult(
  store: Store,
  s: TrainingSession,
  command: string,
  m: GwCommandResult,
  nowMs: number,
): void {
  if (m.ok) {
    if (command === 'train.start' && s.status === 'starting')
      store.sessions.setStatus(s.id, 'running', null, nowMs);
    return;
  }
  if (command === 'train.config') return;
  const reason = `${command} failed: ${errorText(m.error, m.text)}`;
  if (m.deviceId === undefined) {
    store.sessions.setStatus(s.id, 'failed', reason, nowMs); // not about one device: the whole session
    return;
  }
  failDevice(store, s, m.deviceId, reason, nowMs);
}

/** Records that the device's part failed, ordered just after its newest report (a later one of its own wins). */
function failDevice(store: Store, s: TrainingSession, deviceId: string, reason: string, nowMs: number): void {
  const prev = latestByDevice(reportsOf(store, s.id)).get(deviceId);
  store.events.add({
    gatewayId: s.gatewayId,
    deviceId,
    sessionId: s.id,
    level: 'warn',
    kind: 'session.status',
    message: `${deviceId}: FAILED (${reason})`,
    data: { state: 'FAILED', seq: `${prev?.seq ?? ''}+`, reason },
    tsMs: nowMs,
  });
  settle(store, s, 'FAILED', nowMs);
}

const ACTIVE = ['starting', 'running', 'stopping'] as const;

/**
 * A HELLO with a newer boot counter (§4.1.5): the device rebooted, and a session it was running is gone
 * (training lives in RAM, §4.4). Its part of such a session fails, unless a report of its own that was
 * sent before the reboot (delivered late) or after it (a new start) says otherwise.
 */
export function applyDeviceBoot(
  store: Store,
  gatewayId: string,
  deviceId: string,
  bootCounter: number,
  nowMs: number,
): void {
  for (const status of ACTIVE) {
    let cursor: string | undefined;
    do {
      const page = store.sessions.list({ limit: 100, cursor, gatewayId, status });
      for (const s of page.items) {
        if (!s.deviceIds.includes(deviceId)) continue;
        const last = latestByDevice(reportsOf(store, s.id)).get(deviceId);
        if (last?.state !== 'RUNNING' || Number.parseInt(last.seq.slice(0, 8), 16) >= bootCounter) continue;
        failDevice(
          store,
          s,
          deviceId,
          `the device rebooted (boot ${bootCounter}) and lost the session (its last status: RUNNING at step ${last.step ?? 0})`,
          nowMs,
        );
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
}

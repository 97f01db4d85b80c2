/**
 * Exactly-once checks of a training session, as comparable summaries: what one device should have
 * produced (from the session's limits, PROTOCOL.md §4.4.2, §4.4.6, §4.4.7) and what the cloud stored of
 * it (metric and gradient rows, and the ingest ledger's rows and bits, §2.5). A test compares the two with toEqual.
 */
import { MsgType } from '@tinyfleet/protocol/constants';
import { parseDeviceMessageId } from '@tinyfleet/protocol/messages';
import { type LedgerRow, readGradients, readMetrics, readSeen } from './records.js';

export interface TrainingSummary {
  /** Steps with a TRAIN_METRICS, ascending (a duplicate shows twice). */
  metricSteps: number[];
  /** `n` of the last step's metrics. */
  lastSamplesSeen: number | undefined;
  /** TRAIN_METRICS ids the ledger accepted from the device. */
  metricIds: number;
  /** `step/layer` of each GRAD_UPDATE, sorted (a duplicate shows twice). */
  gradients: string[];
  /** GRAD_UPDATE message ids: distinct, each claimed in the ledger (its bit), none with a ledger row. */
  gradientIdsDistinct: boolean;
  gradientIdsInLedger: boolean;
  /** The ids are the device's own (§4.1.5): one boot counter, the message counter growing with the step. */
  gradientBoots: number;
  gradientIdsFollowSteps: boolean;
}

/**
 * What one device produces in a session of `steps` steps reporting metrics every `me` and gradient
 * updates every `ge` steps for each of `layers`, having trained on `samples` samples (no split updates).
 */
export function expectedTraining(o: {
  steps: number;
  samples: number;
  me: number;
  ge: number;
  layers: readonly number[];
}): TrainingSummary {
  const every = (k: number) => Array.from({ length: Math.floor(o.steps / k) }, (_, i) => (i + 1) * k);
  const metricSteps = every(o.me);
  if (metricSteps.at(-1) !== o.steps) metricSteps.push(o.steps); // §4.4.6: and after the last step
  return {
    metricSteps,
    lastSamplesSeen: o.samples,
    metricIds: metricSteps.length,
    gradients: every(o.ge)
      .flatMap((step) => o.layers.map((layer) => `${step}/${layer}`))
      .sort(),
    gradientIdsDistinct: true,
    gradientIdsInLedger: true,
    gradientBoots: 1,
    gradientIdsFollowSteps: true,
  };
}

/** What the cloud stored of `deviceId`'s part of the session, read from its SQLite file and ledger rows. */
export function storedTraining(
  cloudDb: string,
  ledger: readonly LedgerRow[],
  o: { sessionId: string; gatewayId: string; deviceId: string },
): TrainingSummary {
  const mine = (type: number) =>
    ledger.filter((r) => r.sender === `${o.gatewayId}/${o.deviceId}` && r.msg_type === type);
  const metrics = readMetrics(cloudDb, o.sessionId).filter((r) => r.device_id === o.deviceId);
  const metricSteps = metrics.map((r) => r.step).sort((a, b) => a - b);
  const last = metrics.find((r) => r.step === metricSteps.at(-1));
  const grads = readGradients(cloudDb, o.sessionId).filter((r) => r.device_id === o.deviceId);
  const ids = grads.map((r) => r.msg_id);
  const seen = readSeen(cloudDb);
  const inLedger = (id: string) => {
    const d = parseDeviceMessageId(Buffer.from(id, 'hex'));
    return d !== undefined && seen(`${o.gatewayId}/${o.deviceId}`, d.bootCounter, d.counter);
  };
  const byCounter = grads
    .map((r) => ({ step: r.step, id: parseDeviceMessageId(Buffer.from(r.msg_id, 'hex')) }))
    .sort((a, b) => (a.id?.counter ?? 0) - (b.id?.counter ?? 0));
  return {
    metricSteps,
    lastSamplesSeen: last
      ? (JSON.parse(last.values_json) as { samplesSeen?: number }).samplesSeen
      : undefined,
    metricIds: mine(MsgType.TRAIN_METRICS).length,
    gradients: grads.map((r) => `${r.step}/${r.layer}`).sort(),
    gradientIdsDistinct: new Set(ids).size === ids.length,
    gradientIdsInLedger: mine(MsgType.GRAD_UPDATE).length === 0 && ids.every(inLedger),
    gradientBoots: new Set(byCounter.map((x) => x.id?.bootCounter ?? -1)).size,
    gradientIdsFollowSteps: byCounter.every((x, i) => i === 0 || (byCounter[i - 1]?.step ?? 0) <= x.step),
  };
}

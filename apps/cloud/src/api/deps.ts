/** What the API needs from the rest of the cloud, as small interfaces (tests pass fakes). */
import type { JobRunner } from '../jobs/runner.js';
import type { OtaJobCommand, OtaService } from '../ota/index.js';
import type { LiveBus, Store } from '../store/index.js';

/** A command for a gateway; the broker layer turns it into a GW_COMMAND (PROTOCOL.md §4.7). */
export type GatewayCommand = SessionCommand | OtaJobCommand;

export type SessionCommand =
  | { op: 'session.start'; sessionId: string; deviceIds: string[]; config: { [key: string]: unknown } }
  | { op: 'session.stop'; sessionId: string; deviceIds: string[] }
  | { op: 'session.config'; sessionId: string; deviceIds: string[]; config: { [key: string]: unknown } };

export interface Commander {
  /** Resolves once the broker accepted the command for delivery (QoS 1); rejects if it cannot. */
  send(gatewayId: string, command: GatewayCommand): Promise<void>;
  /** Disconnect a deleted gateway and clear its retained status (PROTOCOL.md §2.3 item 6). */
  forgetGateway?(gatewayId: string): Promise<void>;
}

export interface ApiDeps {
  store: Store;
  bus: LiveBus;
  commander: Commander;
  /** Keys, models, campaigns (apps/cloud/src/ota); absent: those routes answer 503. */
  ota?: OtaService | undefined;
  /** NAS / compression / training jobs in worker threads (apps/cloud/src/jobs); absent: 503. */
  jobs?: JobRunner | undefined;
  /** Where gateways connect, returned with newly issued credentials. */
  mqtt: { url: string; wsUrl?: string | undefined };
  /** Aborted when the cloud stops: open streams end. */
  shutdown?: AbortSignal;
  /** SSE heartbeat comment period. */
  heartbeatMs?: number;
  /** Body size limit for JSON requests. */
  maxBodyBytes?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string, err?: unknown) => void;
}

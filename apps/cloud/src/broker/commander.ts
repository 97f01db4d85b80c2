/**
 * Gateway commands from the API, sent as GW_COMMAND on the gateway's downlink (PROTOCOL.md §4.7.2,
 * topic `tf/v1/gw/{gw}/down/cmd` by §2.1, QoS 1 by §2.4). The command id names the session, so the
 * GW_COMMAND_RESULT that answers it moves the session on (see ingest/apply.ts).
 */
import { randomBytes } from 'node:crypto';
import { encodeMessage, type GwCommand, randomMessageId, type ValueMap } from '@tinyfleet/protocol/messages';
import { topicFor } from '@tinyfleet/protocol/mqtt';
import type { Commander, SessionCommand } from '../api/index.js';
import { otaJobMessage } from '../ota/job.js';
import type { Store } from '../store/index.js';
import type { CloudMqtt } from './types.js';

const KIND = {
  'session.start': 'train.start',
  'session.stop': 'train.stop',
  'session.config': 'train.config',
} as const;

/** Build the GW_COMMAND for an API command; `wireId` is the session's u32 id (PROTOCOL.md §4.4). */
export function gatewayCommand(cmd: SessionCommand, wireId: number, nowMs = Date.now()): GwCommand {
  const kind = KIND[cmd.op];
  // Session config keys are those of TRAIN_START / TRAIN_CONFIG (PROTOCOL.md §4.4.2); the gateway checks them.
  const args: ValueMap = { sid: wireId };
  if (cmd.op !== 'session.stop') Object.assign(args, cmd.config as ValueMap);
  return {
    type: 'GW_COMMAND',
    id: randomMessageId(),
    ts: nowMs,
    commandId: `${kind}:${cmd.sessionId}:${randomBytes(4).toString('hex')}`,
    command: kind,
    targets: cmd.deviceIds,
    args,
  };
}

export function brokerCommander(mqtt: CloudMqtt, store: Store): Commander {
  return {
    async send(gatewayId, cmd) {
      // PROTOCOL.md §4.7.2 `ota.job`: the command id names the campaign (apps/cloud/src/ota/job.ts).
      const msg =
        cmd.op === 'ota.job'
          ? otaJobMessage(cmd)
          : gatewayCommand(cmd, store.sessions.require(cmd.sessionId).wireId);
      const bytes = encodeMessage(msg);
      await mqtt.publish(topicFor('GW_COMMAND', { gatewayId }), bytes, { qos: 1, retain: false });
    },
    forgetGateway: (gatewayId) => mqtt.disconnectGateway(gatewayId),
  };
}

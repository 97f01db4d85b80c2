/** Gateway level (MQTT only): GW_STATUS, GW_COMMAND, GW_COMMAND_RESULT (PROTOCOL.md §4.7). */
import { P } from '../../constants/index.js';
import { DEVICE_STATES } from '../../constants/table.js';
import { defineMessage, deviceId, errorCode, freeText, type MessageOf, millis, name } from '../define.js';
import { badField, bool, enumeration, list, opt, record, req, text, U32_MAX, uint } from '../fields.js';
import { anyMap, anyValue } from '../value.js';

/** Most devices one gateway reports or one command targets (PROTOCOL.md §4.7). */
export const MAX_GATEWAY_DEVICES = 256;

/**
 * Command kinds a version 1 gateway implements (PROTOCOL.md §4.7.2). Others are answered with
 * GW_COMMAND_RESULT ok = false, err = UNKNOWN_TYPE; the codec does not restrict `cmd` to this list.
 */
export const GW_COMMANDS = {
  'train.start': 'Start a training session on each target (args §4.7.2).',
  'train.stop': 'Stop a training session (args: sid).',
  'train.config': 'Change a running session (args: sid and TRAIN_CONFIG keys).',
  'ota.job': 'Fetch an artifact by block transfer and install it on each target (args §4.7.2).',
  'ota.confirm': 'Confirm a test-booted artifact (args: sha).',
  'ota.revert': 'Return to the previous slot (args: sha).',
  infer: 'Run one inference on each target (args: INFER_REQUEST keys).',
  status: 'Publish GW_STATUS now (no args, no targets).',
} as const;

const DEVICE_SUMMARY = {
  deviceId: req('dev', deviceId(), 'Device id (HELLO dev).'),
  name: opt('name', name(), 'Name assigned in HELLO_ACK.'),
  linked: req('link', bool(), 'The serial link is up and HELLO is done.'),
  state: opt('st', enumeration(DEVICE_STATES, 'DEVICE_STATES'), 'State of the last HEARTBEAT.'),
  modelVersion: opt('mver', uint(0, U32_MAX), 'Model version of the active slot.'),
  lastSeen: opt('seen', millis(), 'Time of the last message from the device.', 'ms since epoch'),
} as const;

// PROTOCOL.md §4.7.1
export const GW_STATUS = defineMessage({
  type: 'GW_STATUS',
  section: '4.7.1',
  direction: 'gateway → cloud (retained; also the last will)',
  reply: 'none',
  re: 'optional',
  ts: 'required',
  hop: 'gateway',
  fields: {
    online: req('on', bool(), 'false only in the last will and in a clean shutdown.'),
    gatewayVersion: req('gv', name(), 'Gateway software version.'),
    since: req(
      'since',
      millis(),
      'When this MQTT connection was opened; the will carries the same value (§2.3).',
      'ms since epoch',
    ),
    uptimeMs: opt('up', millis(), 'Time since the daemon started; required iff on.', 'ms'),
    outbox: opt('ob', uint(0, U32_MAX), 'Messages waiting in the store-and-forward outbox; required iff on.'),
    devices: opt(
      'devs',
      list(record(DEVICE_SUMMARY, 'device summary (§4.7.1)'), 0, MAX_GATEWAY_DEVICES),
      'Attached and known devices; required iff on.',
    ),
  },
  check(m, at) {
    const n = [m.uptimeMs, m.outbox, m.devices].filter((v) => v !== undefined).length;
    if (m.online && n !== 3) throw badField(at, 'up, ob and devs are required when on');
  },
});
export type GwStatus = MessageOf<typeof GW_STATUS>;
export type DeviceSummary = NonNullable<GwStatus['devices']>[number];

// PROTOCOL.md §4.7.2
export const GW_COMMAND = defineMessage({
  type: 'GW_COMMAND',
  section: '4.7.2',
  direction: 'cloud → gateway',
  reply: 'GW_COMMAND_RESULT per target (one if no target)',
  re: 'optional',
  hop: 'gateway',
  fields: {
    commandId: req(
      'cid',
      text({
        min: 1,
        max: P.MESSAGE_MAX_NAME_BYTES,
        pattern: /^[A-Za-z0-9_.:-]+$/,
        patternDoc: '[A-Za-z0-9_.:-]',
      }),
      'Command id chosen by the cloud; stable across re-sends, executed at most once.',
    ),
    command: req(
      'cmd',
      text({
        min: 1,
        max: 32,
        pattern: /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/,
        patternDoc: 'dotted [a-z0-9_]',
      }),
      'Command kind, e.g. "train.start" (§4.7.2).',
    ),
    targets: req(
      'to',
      list(deviceId(), 0, MAX_GATEWAY_DEVICES),
      'Target device ids; empty: the gateway itself.',
    ),
    args: opt('args', anyMap(P.MQTT_MAX_PAYLOAD_BYTES), 'Arguments of the command kind.'),
    deadline: opt('dl', millis(), 'Give up (TIMEOUT) if not done by then.', 'ms since epoch'),
  },
});
export type GwCommand = MessageOf<typeof GW_COMMAND>;

// PROTOCOL.md §4.7.3
export const GW_COMMAND_RESULT = defineMessage({
  type: 'GW_COMMAND_RESULT',
  section: '4.7.3',
  direction: 'gateway → cloud',
  reply: 'none',
  re: 'required',
  hop: 'gateway',
  fields: {
    commandId: req(
      'cid',
      text({
        min: 1,
        max: P.MESSAGE_MAX_NAME_BYTES,
        pattern: /^[A-Za-z0-9_.:-]+$/,
        patternDoc: '[A-Za-z0-9_.:-]',
      }),
      'The command answered.',
    ),
    deviceId: opt('dev', deviceId(), 'Target this result is for; absent: the gateway itself.'),
    ok: req('ok', bool(), 'The command succeeded.'),
    error: opt('err', errorCode(), 'Why it failed; required iff ok = false.'),
    text: opt('msg', freeText(), 'Human-readable detail.'),
    result: opt('res', anyValue(P.MQTT_MAX_PAYLOAD_BYTES), 'Result value of the command kind.'),
  },
  check(m, at) {
    if (m.ok === (m.error !== undefined)) throw badField(`${at}.err`, 'err is required iff ok = false');
  },
});
export type GwCommandResult = MessageOf<typeof GW_COMMAND_RESULT>;

export const GATEWAY_MESSAGES = [GW_STATUS, GW_COMMAND, GW_COMMAND_RESULT] as const;

/** Device session messages: HELLO, HELLO_ACK, HEARTBEAT, LOG, ERROR (PROTOCOL.md §4.2). */
import { P } from '../../constants/index.js';
import { DEVICE_STATES, LOG_LEVELS } from '../../constants/table.js';
import {
  defineMessage,
  deviceId,
  errorCode,
  freeText,
  type MessageOf,
  millis,
  name,
  sha256,
  UINT53_MAX,
} from '../define.js';
import { badField, bool, enumeration, list, opt, outOfRange, req, text, U32_MAX, uint } from '../fields.js';

// PROTOCOL.md §4.2.1
export const HELLO = defineMessage({
  type: 'HELLO',
  section: '4.2.1',
  direction: 'device → gateway (relayed to the cloud)',
  reply: 'HELLO_ACK, or ERROR',
  re: 'optional',
  hop: 'device',
  fields: {
    deviceId: req(
      'dev',
      deviceId(),
      'Stable unique device id (e.g. the MCU unique id in hex); the MQTT {dev} level.',
    ),
    firmwareVersion: req('fw', name(), 'Firmware version, free form (e.g. "1.4.2").'),
    abiVersion: req(
      'abi',
      uint(1, 0xffff),
      'Runtime ABI version implemented; artifacts name the ABI they need (§5.2).',
    ),
    core: req(
      'core',
      text({ min: 1, max: P.MESSAGE_MAX_NAME_BYTES, pattern: /^[a-z0-9+-]+$/, patternDoc: '[a-z0-9+-]' }),
      'MCU core: "cortex-m0plus", "cortex-m4", "cortex-m7", ..., or "host" for the virtual MCU.',
    ),
    clockHz: req('clk', uint(1, U32_MAX), 'Core clock.', 'Hz'),
    flashBytes: req('flash', uint(0, U32_MAX), 'Total flash.', 'bytes'),
    ramBytes: req('ram', uint(0, U32_MAX), 'Total RAM.', 'bytes'),
    slotBytes: req('slot', uint(0, U32_MAX), 'Size of each of the two model slots A and B (§4.6).', 'bytes'),
    opKinds: req(
      'ops',
      list(uint(1, 0xff), 0, P.MESSAGE_MAX_OP_KINDS),
      'OP_KINDS values the runtime implements (§5.4), strictly ascending.',
    ),
    training: req('fqt', bool(), 'The runtime includes fully quantized training (§4.4).'),
    maxMessageBytes: req(
      'mmsg',
      uint(P.LINK_MIN_FRAME_PAYLOAD, P.LINK_MAX_MESSAGE_BYTES),
      "Largest message the device accepts: the link's negotiated M (§3.6); OTA needs >= 4224 (§4.1.6).",
      'bytes',
    ),
    sampleSlots: req('sbuf', uint(0, 0xffff), 'Samples the device can buffer (§4.3).', 'samples'),
    baud: opt('baud', uint(1, U32_MAX), 'UART line rate, when known.', 'bit/s'),
    modelSha256: opt(
      'msha',
      sha256(),
      'Digest of the artifact in the active slot: its §5.8 content digest (header sha256), not the file SHA-256; absent: no model loaded.',
    ),
    modelVersion: opt('mver', uint(0, U32_MAX), 'Model version of that artifact (§5.2); present iff msha.'),
    activeSlot: opt('aslot', uint(0, 1), 'Active model slot, 0 = A, 1 = B; present iff msha.'),
    bootCounter: req(
      'boot',
      uint(0, U32_MAX),
      'Boot counter; equals the first 4 bytes of this message id (§4.1.5).',
    ),
  },
  check(m, at) {
    const model = [m.modelSha256, m.modelVersion, m.activeSlot].filter((x) => x !== undefined).length;
    if (model !== 0 && model !== 3) throw badField(at, 'msha, mver and aslot go together');
    m.opKinds.forEach((k, i) => {
      if (i > 0 && k <= m.opKinds[i - 1]!) throw outOfRange(`${at}.ops`, 'not strictly ascending');
    });
    // PROTOCOL.md §4.1.5: a device id is u32 boot counter LE || u32 message counter LE.
    if (m.id.length !== 8) throw badField(`${at}.id`, 'a device message id has 8 bytes');
    const boot = new DataView(m.id.buffer, m.id.byteOffset, 8).getUint32(0, true);
    if (boot !== m.bootCounter)
      throw badField(`${at}.boot`, `id says boot ${boot}, boot says ${m.bootCounter}`);
  },
});
export type Hello = MessageOf<typeof HELLO>;

// PROTOCOL.md §4.2.2
export const HELLO_ACK = defineMessage({
  type: 'HELLO_ACK',
  section: '4.2.2',
  direction: 'gateway → device',
  reply: 'none',
  re: 'required',
  hop: 'device',
  fields: {
    name: req('name', name(), 'Name the fleet gives the device (display name; not an id).'),
    time: req('time', millis(), 'Wall-clock time when sent.', 'ms since epoch'),
    heartbeatMs: opt('hb', uint(1000, 3_600_000), 'HEARTBEAT period wanted; default 10000.', 'ms'),
  },
});
export type HelloAck = MessageOf<typeof HELLO_ACK>;

// PROTOCOL.md §4.2.3
export const HEARTBEAT = defineMessage({
  type: 'HEARTBEAT',
  section: '4.2.3',
  direction: 'device → gateway (relayed to the cloud)',
  reply: 'none',
  re: 'optional',
  hop: 'device',
  fields: {
    uptimeMs: req('up', uint(0, UINT53_MAX), 'Time since boot.', 'ms'),
    state: req('st', enumeration(DEVICE_STATES, 'DEVICE_STATES'), 'What the device is doing.'),
    freeRamBytes: req('fram', uint(0, U32_MAX), 'Free RAM now.', 'bytes'),
    received: req('rx', uint(0, U32_MAX), 'Messages received since boot.', 'messages'),
    sent: req('tx', uint(0, U32_MAX), 'Messages sent since boot.', 'messages'),
    errors: req('nerr', uint(0, U32_MAX), 'ERROR messages sent since boot.', 'messages'),
    sessionId: opt('sid', uint(1, U32_MAX), 'Running training session, if any.'),
  },
});
export type Heartbeat = MessageOf<typeof HEARTBEAT>;

// PROTOCOL.md §4.2.4
export const LOG = defineMessage({
  type: 'LOG',
  section: '4.2.4',
  direction: 'device → gateway → cloud; gateway → cloud',
  reply: 'none',
  re: 'optional',
  hop: 'device',
  fields: {
    level: req('lvl', enumeration(LOG_LEVELS, 'LOG_LEVELS'), 'Severity.'),
    text: req('msg', freeText(), 'The log line, without a trailing newline.'),
    tag: opt(
      'tag',
      text({
        min: 1,
        max: P.MESSAGE_MAX_NAME_BYTES,
        pattern: /^[A-Za-z0-9_.-]+$/,
        patternDoc: '[A-Za-z0-9_.-]',
      }),
      'Module that logged it.',
    ),
    uptimeMs: opt('up', uint(0, UINT53_MAX), "Sender's time since boot when logged.", 'ms'),
  },
});
export type Log = MessageOf<typeof LOG>;

// PROTOCOL.md §4.2.5
export const ERROR = defineMessage({
  type: 'ERROR',
  section: '4.2.5',
  direction: 'any → its peer',
  reply: 'none (never answer an ERROR)',
  re: 'optional',
  hop: 'device',
  fields: {
    code: req('code', errorCode(), 'Why the message "re" was rejected or failed.'),
    text: opt('msg', freeText(), 'Human-readable detail.'),
  },
});
export type ErrorMessage = MessageOf<typeof ERROR>;

export const SESSION_MESSAGES = [HELLO, HELLO_ACK, HEARTBEAT, LOG, ERROR] as const;

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MsgType } from '../constants/index.js';
import { MESSAGE_TYPES } from '../constants/table.js';
import { ProtocolError } from '../errors.js';
import { KIND_MESSAGE, ROUTES, SERIAL_ONLY_MESSAGES } from './routes.js';
import {
  buildTopic,
  checkMessageType,
  monitorSubscriptions,
  parseTopic,
  statusTopic,
  topicFor,
  validateId,
} from './topics.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

const idArb = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);

describe('route table (PROTOCOL.md §2.1, §2.4)', () => {
  it('classifies every message type exactly once: on MQTT, or serial only', () => {
    const onMqtt = new Set(ROUTES.map((r) => r.message));
    for (const { name } of MESSAGE_TYPES) {
      const serial = SERIAL_ONLY_MESSAGES.includes(name);
      expect(onMqtt.has(name) !== serial, `${name} must be routed xor serial-only`).toBe(true);
    }
  });

  it('maps kinds and MQTT message types one to one, with one QoS and retain per type', () => {
    const kindsByMessage = new Map<string, Set<string>>();
    for (const r of ROUTES) {
      expect(KIND_MESSAGE[r.kind]).toBe(r.message);
      const s = kindsByMessage.get(r.message) ?? new Set();
      s.add(r.kind);
      kindsByMessage.set(r.message, s);
      const same = ROUTES.filter((x) => x.message === r.message);
      expect(new Set(same.map((x) => `${x.qos}/${x.retain}`)).size, r.message).toBe(1);
    }
    for (const [m, kinds] of kindsByMessage) expect(kinds.size, m).toBe(1);
    expect(new Set(Object.values(KIND_MESSAGE)).size).toBe(Object.keys(KIND_MESSAGE).length);
    const places = ROUTES.map((r) => `${r.scope}/${r.direction}/${r.kind}`);
    expect(new Set(places).size).toBe(places.length);
  });

  it('uses QoS 0 only for heartbeats and retain only for the status', () => {
    expect(ROUTES.filter((r) => r.qos === 0).map((r) => r.kind)).toEqual(['heartbeat']);
    expect(ROUTES.filter((r) => r.retain).map((r) => r.kind)).toEqual(['status']);
    expect(ROUTES.filter((r) => r.direction === 'down').every((r) => r.scope === 'gateway')).toBe(true);
  });
});

describe('topic builders and parser (PROTOCOL.md §2.1)', () => {
  it('round-trips every route with any valid ids', () => {
    fc.assert(
      fc.property(idArb, idArb, fc.constantFrom(...ROUTES), (gw, dev, route) => {
        const addr = route.scope === 'device' ? { gatewayId: gw, deviceId: dev } : { gatewayId: gw };
        const topic = buildTopic(addr, route.direction, route.kind);
        const p = parseTopic(topic);
        expect(p.gatewayId).toBe(gw);
        expect(p.deviceId).toBe(route.scope === 'device' ? dev : undefined);
        expect(p.direction).toBe(route.direction);
        expect(p.kind).toBe(route.kind);
        expect(p.route).toBe(route);
        checkMessageType(p, MsgType[route.message]);
      }),
    );
  });

  it('builds the documented shapes', () => {
    expect(statusTopic('g1')).toBe('tf/v1/gw/g1/status');
    expect(topicFor('GW_STATUS', { gatewayId: 'g1' })).toBe('tf/v1/gw/g1/status');
    expect(topicFor('GW_COMMAND', { gatewayId: 'g1' })).toBe('tf/v1/gw/g1/down/cmd');
    expect(topicFor('BLOCK_REQUEST', { gatewayId: 'g1' })).toBe('tf/v1/gw/g1/up/block-req');
    expect(topicFor('BLOCK_DATA', { gatewayId: 'g1' })).toBe('tf/v1/gw/g1/down/block');
    expect(topicFor('GRAD_UPDATE', { gatewayId: 'g1', deviceId: 'mcu-7' })).toBe(
      'tf/v1/gw/g1/dev/mcu-7/up/grad',
    );
    expect(topicFor('ERROR', { gatewayId: 'g1' }, 'down')).toBe('tf/v1/gw/g1/down/error');
    expect(topicFor('ERROR', { gatewayId: 'g1', deviceId: 'd' })).toBe('tf/v1/gw/g1/dev/d/up/error');
    expect(topicFor('LOG', { gatewayId: 'g1' })).toBe('tf/v1/gw/g1/up/log');
    expect(parseTopic('tf/v1/gw/g1/status')).toMatchObject({
      gatewayId: 'g1',
      direction: 'up',
      kind: 'status',
    });
  });

  it('refuses to build what does not exist', () => {
    expect(codeOf(() => topicFor('ERROR', { gatewayId: 'g1' }))).toBe('BAD_FIELD'); // direction needed
    expect(codeOf(() => topicFor('SAMPLE_BATCH', { gatewayId: 'g1', deviceId: 'd' }))).toBe('BAD_FIELD');
    expect(codeOf(() => topicFor('GW_COMMAND', { gatewayId: 'g1', deviceId: 'd' }))).toBe('BAD_FIELD');
    expect(codeOf(() => buildTopic({ gatewayId: 'g1' }, 'down', 'hello'))).toBe('BAD_FIELD');
    expect(codeOf(() => buildTopic({ gatewayId: 'g+' }, 'up', 'log'))).toBe('BAD_FIELD');
    expect(codeOf(() => buildTopic({ gatewayId: 'g', deviceId: '#' }, 'up', 'log'))).toBe('BAD_FIELD');
    expect(codeOf(() => monitorSubscriptions('g', 'd/x'))).toBe('BAD_FIELD');
  });

  it('rejects bad ids (PROTOCOL.md §2.6)', () => {
    const bad = ['', 'x'.repeat(65), '+', '#', 'a/b', '$SYS', 'a b', 'a\u0000', 'é', 'a.b', 'a:b'];
    for (const id of bad) {
      expect(
        codeOf(() => validateId(id)),
        JSON.stringify(id),
      ).toBe('BAD_FIELD');
      expect(() => parseTopic(`tf/v1/gw/${id}/up/log`)).toThrow(ProtocolError);
      expect(() => parseTopic(`tf/v1/gw/g1/dev/${id}/up/log`)).toThrow(ProtocolError);
    }
    expect(codeOf(() => validateId('x'.repeat(64)))).toBeUndefined();
  });

  it('rejects malformed topics with the most specific code', () => {
    const cases: [string, string][] = [
      ['tf/v2/gw/g1/status', 'UNSUPPORTED_VERSION'],
      ['tf/v10/gw/g1/up/log', 'UNSUPPORTED_VERSION'],
      ['tf/vx/gw/g1/status', 'BAD_FIELD'],
      ['xx/v1/gw/g1/status', 'BAD_FIELD'],
      ['tf/v1/gx/g1/status', 'BAD_FIELD'],
      ['tf/v1/gw/g1', 'BAD_FIELD'],
      ['tf/v1/gw/g1/', 'BAD_FIELD'],
      ['tf/v1/gw/g1/status/x', 'BAD_FIELD'],
      ['tf/v1/gw/g1/up', 'BAD_FIELD'],
      ['tf/v1/gw/g1/up/log/x', 'BAD_FIELD'],
      ['tf/v1/gw/g1/sideways/log', 'BAD_FIELD'],
      ['tf/v1/gw/g1/up/nope', 'UNKNOWN_TYPE'],
      ['tf/v1/gw/g1/dev/d1/up/nope', 'UNKNOWN_TYPE'],
      ['tf/v1/gw/g1/up/status', 'BAD_FIELD'], // status has its own path
      ['tf/v1/gw/g1/down/hello', 'BAD_FIELD'], // kind at the wrong place
      ['tf/v1/gw/g1/up/cmd', 'BAD_FIELD'],
      ['tf/v1/gw/g1/dev/d1/down/cmd', 'BAD_FIELD'], // device downlink is reserved
      ['tf/v1/gw/g1/dev/d1/up/cmd-result', 'BAD_FIELD'],
      ['tf/v1/gw/g1/dev/d1/status', 'BAD_FIELD'],
      ['tf/v1/gw/+/status', 'BAD_FIELD'], // a filter is not a topic name
      ['tf/v1/gw/g1/up/#', 'BAD_FIELD'],
      ['', 'BAD_FIELD'],
    ];
    for (const [topic, code] of cases)
      expect(
        codeOf(() => parseTopic(topic)),
        topic,
      ).toBe(code);
  });

  it('checks the envelope type against the topic', () => {
    const p = parseTopic('tf/v1/gw/g1/dev/d1/up/metrics');
    expect(p.message).toBe('TRAIN_METRICS');
    expect(codeOf(() => checkMessageType(p, MsgType.TRAIN_METRICS))).toBeUndefined();
    expect(codeOf(() => checkMessageType(p, MsgType.GRAD_UPDATE))).toBe('BAD_FIELD');
    expect(codeOf(() => checkMessageType(p, 0xee))).toBe('BAD_FIELD');
  });
});

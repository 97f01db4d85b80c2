import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { P } from '../constants/index.js';
import { ProtocolError } from '../errors.js';
import {
  checkClientId,
  checkPublish,
  clientIdFor,
  gatewayIdentity,
  type Identity,
  identityFromUsername,
  MONITOR_USERNAME,
  mayPublish,
  maySubscribe,
  SERVICE_USERNAME,
} from './acl.js';
import { topicMatches } from './filter.js';
import { ROUTES } from './routes.js';
import { buildTopic, gatewaySubscriptions, monitorSubscriptions, serviceSubscriptions } from './topics.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

const g1 = gatewayIdentity('g1');
const service: Identity = { role: 'service' };
const monitor: Identity = { role: 'monitor' };

/** Every topic of the tree for gateway `gw` (devices d1, d2). */
function topicsOf(gw: string): string[] {
  return ROUTES.flatMap((r) =>
    r.scope === 'device'
      ? ['d1', 'd2'].map((d) => buildTopic({ gatewayId: gw, deviceId: d }, r.direction, r.kind))
      : [buildTopic({ gatewayId: gw }, r.direction, r.kind)],
  );
}

describe('identities and client ids (PROTOCOL.md §2.2, §2.6)', () => {
  it('reads the identity from the user name', () => {
    expect(identityFromUsername('g1')).toEqual(g1);
    expect(identityFromUsername(SERVICE_USERNAME)).toEqual(service);
    expect(identityFromUsername(MONITOR_USERNAME)).toEqual(monitor);
    for (const u of [undefined, '', 'a/b', '$other', 'x'.repeat(65)]) {
      expect(
        codeOf(() => identityFromUsername(u)),
        String(u),
      ).toBe('UNAUTHORIZED');
    }
  });

  it('binds client ids to identities, so no one can take a gateway session over', () => {
    expect(clientIdFor(g1)).toBe('gw-g1');
    expect(clientIdFor(service, 'node1')).toBe('svc-node1');
    expect(clientIdFor(monitor, 'tab-42')).toBe('mon-tab-42');
    expect(codeOf(() => clientIdFor(monitor))).toBe('BAD_FIELD');
    const ok: [Identity, string][] = [
      [g1, 'gw-g1'],
      [service, 'svc-a'],
      [monitor, 'mon-x_1'],
    ];
    const bad: [Identity, string][] = [
      [g1, 'gw-g2'],
      [g1, 'g1'],
      [g1, 'gw-g1x'],
      [gatewayIdentity('g2'), 'gw-g1'],
      [monitor, 'gw-g1'],
      [monitor, 'mon-'],
      [monitor, 'mon-a/b'],
      [service, 'gw-g1'],
      [g1, 'svc-a'],
    ];
    for (const [id, c] of ok)
      expect(
        codeOf(() => checkClientId(id, c)),
        c,
      ).toBeUndefined();
    for (const [id, c] of bad)
      expect(
        codeOf(() => checkClientId(id, c)),
        c,
      ).toBe('UNAUTHORIZED');
  });
});

describe('ACL matrix (PROTOCOL.md §2.2)', () => {
  it('lets a gateway publish exactly its own uplink topics', () => {
    for (const t of topicsOf('g1')) {
      const up = !t.includes('/down/');
      expect(mayPublish(g1, t), t).toBe(up);
    }
    for (const t of topicsOf('g2')) expect(mayPublish(g1, t), t).toBe(false);
    for (const t of [
      'tf/v1/gw/g1/up/nope', // unknown kind
      'tf/v1/gw/g1/up/log/extra',
      'tf/v1/gw/g1/dev/bad id/up/log',
      'tf/v1/gw/g1/dev/d1/down/x',
      'tf/v1/gw/g1/up/+',
      'tf/v1/gw/g10/status',
      'tf/v1/other',
      '$SYS/x',
    ]) {
      expect(mayPublish(g1, t), t).toBe(false);
    }
  });

  it('lets a gateway subscribe only inside its own downlink', () => {
    const yes = [
      'tf/v1/gw/g1/down/#',
      'tf/v1/gw/g1/down/cmd',
      'tf/v1/gw/g1/down/+',
      'tf/v1/gw/g1/dev/+/down/#',
      'tf/v1/gw/g1/dev/d1/down/#',
      ...gatewaySubscriptions('g1'),
    ];
    const no = [
      'tf/v1/gw/+/status',
      'tf/v1/gw/+/down/#',
      'tf/v1/gw/+/#',
      'tf/v1/gw/g1/#',
      'tf/v1/gw/g1/+/cmd',
      'tf/v1/gw/g1/status',
      'tf/v1/gw/g1/up/#',
      'tf/v1/gw/g2/down/#',
      'tf/v1/#',
      'tf/+/gw/g1/down/#',
      'tf/v1/+/g1/down/#',
      '+/v1/gw/g1/down/cmd',
      '#',
      '+/#',
      '$SYS/#',
      'tf/v1/gw/g1/down/#/x', // invalid filter
    ];
    for (const f of yes) expect(maySubscribe(g1, f), f).toBe(true);
    for (const f of no) expect(maySubscribe(g1, f), f).toBe(false);
  });

  it('never lets a gateway reach another gateway, whatever the filter', () => {
    const others = [...topicsOf('g2'), ...topicsOf('g1x')];
    // Filters near the real tree: a real topic with some levels turned into '+' and maybe cut at a '#'.
    const filterArb = fc
      .tuple(
        fc.constantFrom(...topicsOf('g1'), ...topicsOf('g2')),
        fc.array(fc.nat(7), { maxLength: 3 }),
        fc.option(fc.nat(7)),
      )
      .map(([topic, plus, cut]) => {
        const l = topic.split('/');
        for (const i of plus) if (i < l.length) l[i] = '+';
        return (cut === null ? l : [...l.slice(0, cut), '#']).join('/');
      });
    let allowed = 0;
    fc.assert(
      fc.property(filterArb, (filter) => {
        if (!maySubscribe(g1, filter)) return;
        allowed++;
        for (const t of others) expect(topicMatches(filter, t), `${filter} reaches ${t}`).toBe(false);
        for (const t of topicsOf('g1')) if (topicMatches(filter, t)) expect(t).toContain('/down/');
      }),
      { numRuns: 2000, examples: [['tf/v1/gw/g1/down/#'], ['tf/v1/gw/g1/dev/+/down/cmd']] },
    );
    expect(allowed).toBeGreaterThan(5);
  });

  it('gives the service the whole tree and nothing else', () => {
    for (const t of [...topicsOf('g1'), 'tf/v1/reserved/x']) expect(mayPublish(service, t), t).toBe(true);
    for (const t of ['tf/v1/gw/g1/up/nope', 'tf/v2/gw/g1/status', 'other/x', '$SYS/x']) {
      expect(mayPublish(service, t), t).toBe(false);
    }
    for (const f of ['tf/v1/#', 'tf/v1/gw/+/up/#', ...serviceSubscriptions()]) {
      expect(maySubscribe(service, f), f).toBe(true);
    }
    for (const f of ['#', '+/v1/#', 'tf/#']) expect(maySubscribe(service, f), f).toBe(false);
  });

  it('lets a monitor read telemetry and write nothing', () => {
    for (const t of topicsOf('g1')) expect(mayPublish(monitor, t), t).toBe(false);
    const yes = [
      'tf/v1/gw/+/status',
      'tf/v1/gw/g1/status',
      'tf/v1/gw/+/up/#',
      'tf/v1/gw/+/dev/+/up/#',
      'tf/v1/gw/g1/dev/d1/up/metrics',
      'tf/v1/gw/+/dev/+/up/grad',
      ...monitorSubscriptions(),
      ...monitorSubscriptions('g1'),
      ...monitorSubscriptions('g1', 'd1'),
    ];
    const no = [
      'tf/v1/gw/+/down/#',
      'tf/v1/gw/g1/down/cmd',
      'tf/v1/gw/+/#',
      'tf/v1/gw/+/+/up/#',
      'tf/v1/gw/g1/dev/+/#',
      'tf/v1/#',
      '#',
    ];
    for (const f of yes) expect(maySubscribe(monitor, f), f).toBe(true);
    for (const f of no) expect(maySubscribe(monitor, f), f).toBe(false);
  });
});

describe('checkPublish (PROTOCOL.md §2.3, §2.4, §2.6)', () => {
  const cbor = new Uint8Array([0xa0]);

  it('accepts what the table says', () => {
    const ok: [Identity, string, number, boolean][] = [
      [g1, 'tf/v1/gw/g1/status', 1, true], // online, and the last will
      [g1, 'tf/v1/gw/g1/dev/d1/up/heartbeat', 0, false],
      [g1, 'tf/v1/gw/g1/dev/d1/up/grad', 1, false],
      [g1, 'tf/v1/gw/g1/up/block-req', 1, false],
      [service, 'tf/v1/gw/g1/down/block', 1, false],
    ];
    for (const [id, topic, qos, retain] of ok) {
      expect(
        codeOf(() => checkPublish(id, { topic, qos, retain, payload: cbor })),
        topic,
      ).toBeUndefined();
    }
    // The service clears a deleted gateway's retained status with an empty retained payload.
    const clear = { topic: 'tf/v1/gw/g1/status', qos: 1, retain: true, payload: 0 };
    expect(codeOf(() => checkPublish(service, clear))).toBeUndefined();
    expect(codeOf(() => checkPublish(g1, clear))).toBe('BAD_FIELD');
  });

  it('rejects wrong QoS, retain, size and place', () => {
    const t = 'tf/v1/gw/g1/dev/d1/up/metrics';
    expect(codeOf(() => checkPublish(g1, { topic: t, qos: 0, retain: false, payload: cbor }))).toBe(
      'BAD_FIELD',
    );
    expect(codeOf(() => checkPublish(g1, { topic: t, qos: 2, retain: false, payload: cbor }))).toBe(
      'BAD_FIELD',
    );
    expect(codeOf(() => checkPublish(g1, { topic: t, qos: 1, retain: true, payload: cbor }))).toBe(
      'BAD_FIELD',
    );
    const status = 'tf/v1/gw/g1/status';
    expect(codeOf(() => checkPublish(g1, { topic: status, qos: 1, retain: false, payload: cbor }))).toBe(
      'BAD_FIELD',
    );
    const big = P.MQTT_MAX_PAYLOAD_BYTES + 1;
    expect(codeOf(() => checkPublish(g1, { topic: t, qos: 1, retain: false, payload: big }))).toBe(
      'TOO_LARGE',
    );
    expect(
      codeOf(() => checkPublish(g1, { topic: t, qos: 1, retain: false, payload: P.MQTT_MAX_PAYLOAD_BYTES })),
    ).toBeUndefined();
    const other = 'tf/v1/gw/g2/dev/d1/up/metrics';
    expect(codeOf(() => checkPublish(g1, { topic: other, qos: 1, retain: false, payload: cbor }))).toBe(
      'UNAUTHORIZED',
    );
    expect(codeOf(() => checkPublish(monitor, { topic: t, qos: 1, retain: false, payload: cbor }))).toBe(
      'UNAUTHORIZED',
    );
  });
});

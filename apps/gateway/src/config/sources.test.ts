/** `sources[]` validation (config/sources.ts): the `mqtt` feed of a live source. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from './index.js';
import type { Json } from './read.js';

/** A config whose third source (`$.sources[2]`) is a live source with this `mqtt`. */
function withFeed(mqtt: Json) {
  return parseConfig({
    gatewayId: 'gw_cfg',
    mqtt: { url: 'mqtt://cloud.example.net:1883', password: 'x' },
    sources: [
      { name: 'syn', shape: [2], classes: 2 },
      { name: 'hand', type: 'live', shape: [4], classes: 3 },
      { name: 'hub', type: 'live', shape: [4], classes: 3, mqtt },
    ],
  });
}

describe('live source mqtt config', () => {
  it('takes url and topic, defaults qos to 1, and keeps credentials', () => {
    const c = withFeed({ url: 'mqtt://127.0.0.1:1883', topic: 'site/samples/#' });
    expect(c.sources[2]).toMatchObject({
      type: 'live',
      mqtt: { url: 'mqtt://127.0.0.1:1883', topic: 'site/samples/#', qos: 1 },
    });
    expect(c.sources[1]).not.toHaveProperty('mqtt');
    const auth = withFeed({ url: 'mqtts://hub:8883', topic: 'a/+/b', username: 'gw', password: 's', qos: 0 });
    expect(auth.sources[2]).toMatchObject({
      mqtt: { url: 'mqtts://hub:8883', topic: 'a/+/b', username: 'gw', password: 's', qos: 0 },
    });
  });

  it('names the JSON path of a bad value', () => {
    const url = 'mqtt://127.0.0.1:1883';
    const cases: [Json, RegExp][] = [
      [{ topic: 'a' }, /^config \$\.sources\[2\]\.mqtt\.url: non-empty text expected$/],
      [{ url: 'http://hub', topic: 'a' }, /^config \$\.sources\[2\]\.mqtt\.url: must match/],
      [{ url }, /^config \$\.sources\[2\]\.mqtt\.topic: non-empty text expected$/],
      [{ url, topic: 'a/#/b' }, /^config \$\.sources\[2\]\.mqtt\.topic: '#' must be the whole last level/],
      [{ url, topic: 'a/b+' }, /^config \$\.sources\[2\]\.mqtt\.topic: '\+' must be a whole level/],
      [{ url, topic: 'a', qos: 2 }, /^config \$\.sources\[2\]\.mqtt\.qos: integer in 0\.\.1 expected$/],
      [{ url, topic: 'a', password: 's' }, /^config \$\.sources\[2\]\.mqtt\.password: needs a username$/],
      [{ url, topic: 'a', username: 7 }, /^config \$\.sources\[2\]\.mqtt\.username: non-empty text/],
      [{ url, topic: 'a', retain: true }, /^config \$\.sources\[2\]\.mqtt\.retain: unknown key$/],
      ['mqtt://hub', /^config \$\.sources\[2\]\.mqtt: object expected$/],
    ];
    for (const [mqtt, error] of cases) expect(() => withFeed(mqtt), JSON.stringify(mqtt)).toThrow(error);
  });

  it('is a key of live sources only', () => {
    expect(() =>
      parseConfig({
        gatewayId: 'gw_cfg',
        mqtt: { url: 'mqtt://cloud.example.net:1883', password: 'x' },
        sources: [{ name: 'syn', shape: [2], mqtt: { url: 'mqtt://h', topic: 't' } }],
      }),
    ).toThrow(/^config \$\.sources\[0\]\.mqtt: unknown key$/);
  });
});

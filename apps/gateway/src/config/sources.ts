/** `sources[]` of the gateway config (see README.md "Sources"), validated at the boundary. */
import { isAbsolute, resolve } from 'node:path';
import { validateTopicFilter } from '@tinyfleet/protocol/mqtt';
import { errorText } from '../errors.js';
import type { InputConfig, LiveMqttConfig, SourceConfig, SyntheticConfig } from '../sources/index.js';
import { bad, int, intList, type Json, MQTT_URL, num, obj, optStr, str } from './read.js';

export const DEFAULT_SOURCE: SyntheticConfig = {
  type: 'synthetic',
  name: 'synthetic',
  shape: [8, 8, 1],
  classes: 4,
  size: 1024,
  seed: 1,
  scale: 1 / 255,
  zeroPoint: 0,
};

const TYPES = /^(synthetic|mnist|fsdd|csv|png|live)$/;

function input(v: Json | undefined, path: string): InputConfig | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, path, ['shape', 'scale', 'zeroPoint']);
  return {
    ...(o.shape !== undefined && { shape: intList(o.shape, `${path}.shape`, 1, 0xffff) }),
    ...(o.scale !== undefined && { scale: num(o.scale, `${path}.scale`, 1, 0) }),
    ...(o.zeroPoint !== undefined && { zeroPoint: int(o.zeroPoint, `${path}.zeroPoint`, 0, 0, 255) }),
  };
}

/** `mqtt` of a live source: a site-local broker, validated like the cloud's `$.mqtt`. */
function liveMqtt(v: Json | undefined, path: string): LiveMqttConfig | undefined {
  if (v === undefined) return undefined;
  const o = obj(v, path, ['url', 'topic', 'username', 'password', 'qos']);
  const url = str(o.url, `${path}.url`, undefined, MQTT_URL);
  const topic = str(o.topic, `${path}.topic`);
  try {
    validateTopicFilter(topic);
  } catch (e) {
    throw bad(`${path}.topic`, errorText(e));
  }
  const username = optStr(o.username, `${path}.username`);
  const password = optStr(o.password, `${path}.password`);
  // MQTT-3.1.2-22: no password without a user name in MQTT 3.1.1.
  if (password !== undefined && username === undefined) throw bad(`${path}.password`, 'needs a username');
  return {
    url,
    topic,
    ...(username !== undefined && { username }),
    ...(password !== undefined && { password }),
    qos: int(o.qos, `${path}.qos`, 1, 0, 1) as 0 | 1,
  };
}

const KEYS: Record<string, string[]> = {
  synthetic: ['shape', 'classes', 'size', 'seed', 'scale', 'zeroPoint'],
  mnist: ['dir', 'split', 'seed', 'transform'],
  fsdd: ['dir', 'split', 'seed', 'layout'],
  csv: ['path', 'split', 'seed', 'layout'],
  png: ['path', 'split', 'seed', 'transform', 'channels'],
  live: ['shape', 'classes', 'queue', 'encoding', 'mqtt'],
};

export function parseSource(v: Json, path: string, baseDir: string): SourceConfig {
  const peek = obj(v, path, ['name', 'type', 'input', ...new Set(Object.values(KEYS).flat())]);
  const type = str(peek.type, `${path}.type`, 'synthetic', TYPES);
  const o = obj(v, path, ['name', 'type', 'input', ...(KEYS[type] ?? [])]);
  const name = str(o.name, `${path}.name`, undefined, /^[A-Za-z0-9_.-]{1,64}$/);
  const inp = input(o.input, `${path}.input`);
  const withInput = inp === undefined ? {} : { input: inp };
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  switch (type) {
    case 'synthetic':
      return {
        type,
        name,
        shape: intList(o.shape, `${path}.shape`, 1, 0xffff),
        classes: int(o.classes, `${path}.classes`, 4, 2, 256),
        size: int(o.size, `${path}.size`, 1024, 1, 1 << 24),
        seed: int(o.seed, `${path}.seed`, 1, 0, 0xffff_ffff),
        scale: num(o.scale, `${path}.scale`, 1 / 255, 0),
        zeroPoint: int(o.zeroPoint, `${path}.zeroPoint`, 0, 0, 255),
        ...withInput,
      };
    case 'live': {
      const mqtt = liveMqtt(o.mqtt, `${path}.mqtt`);
      return {
        type,
        name,
        shape: intList(o.shape, `${path}.shape`, 1, 0xffff),
        classes: int(o.classes, `${path}.classes`, 4, 2, 256),
        queue: int(o.queue, `${path}.queue`, 1024, 1, 1_000_000),
        encoding: str(o.encoding, `${path}.encoding`, 'float', /^(float|uint8)$/) as 'float' | 'uint8',
        ...withInput,
        ...(mqtt !== undefined && { mqtt }),
      };
    }
    default: {
      const t = type as 'mnist' | 'fsdd' | 'csv' | 'png';
      const dir = optStr(o.dir, `${path}.dir`);
      const file = optStr(o.path, `${path}.path`);
      if ((t === 'csv' || t === 'png') && file === undefined)
        throw bad(`${path}.path`, t === 'csv' ? 'the CSV file is required' : 'the PNG folder is required');
      const transform = optStr(o.transform, `${path}.transform`);
      if (transform !== undefined && transform !== 'invert') throw bad(`${path}.transform`, 'only "invert"');
      const layout = optStr(o.layout, `${path}.layout`);
      if (layout !== undefined && layout !== 'series' && layout !== 'image')
        throw bad(`${path}.layout`, '"series" or "image" expected');
      const channels = o.channels === undefined ? undefined : int(o.channels, `${path}.channels`, 1, 1, 3);
      if (channels === 2) throw bad(`${path}.channels`, '1 or 3 expected');
      return {
        type: t,
        name,
        ...(dir !== undefined && { dir: abs(dir) }),
        ...(file !== undefined && { path: abs(file) }),
        split: str(o.split, `${path}.split`, 'train', /^(train|test)$/) as 'train' | 'test',
        seed: int(o.seed, `${path}.seed`, 1, 0, 0xffff_ffff),
        ...(transform !== undefined && { transform: 'invert' as const }),
        ...(layout !== undefined && { layout }),
        ...(channels !== undefined && { channels: channels as 1 | 3 }),
        ...withInput,
      };
    }
  }
}

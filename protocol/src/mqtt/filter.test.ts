import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.js';
import { isValidTopicFilter, isValidTopicName, topicMatches, validateTopicName } from './filter.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return undefined;
}

describe('topic names and filters (MQTT 3.1.1 §4.7)', () => {
  it('accepts valid filters and rejects misplaced wildcards', () => {
    for (const f of ['#', '+', 'sport/tennis/#', '+/tennis/#', 'sport/+/player1', '/#', '+/+', 'a//b', '/']) {
      expect(isValidTopicFilter(f), f).toBe(true);
    }
    // MQTT-4.7.1-2, MQTT-4.7.1-3, MQTT-4.7.3-1
    for (const f of ['sport/tennis#', 'sport/tennis/#/ranking', '##', 'sport+', 'sport/+tennis', '+#', '']) {
      expect(isValidTopicFilter(f), f).toBe(false);
    }
  });

  it('rejects wildcards, NUL, lone surrogates and overlong names in topic names', () => {
    expect(isValidTopicName('sport/tennis')).toBe(true);
    expect(isValidTopicName('with space/Ü')).toBe(true);
    expect(codeOf(() => validateTopicName('a/+'))).toBe('BAD_FIELD'); // MQTT-4.7.1-1
    expect(codeOf(() => validateTopicName('a/#'))).toBe('BAD_FIELD');
    expect(codeOf(() => validateTopicName(''))).toBe('BAD_FIELD'); // MQTT-4.7.3-1
    expect(codeOf(() => validateTopicName('a\u0000b'))).toBe('BAD_FIELD'); // MQTT-4.7.3-2
    expect(codeOf(() => validateTopicName('a\ud800'))).toBe('BAD_FIELD');
    expect(codeOf(() => validateTopicName('é'.repeat(40000)))).toBe('TOO_LARGE'); // MQTT-4.7.3-3, 80000 bytes
  });

  it('matches as the specification examples say', () => {
    const yes: [string, string][] = [
      ['sport/tennis/player1/#', 'sport/tennis/player1'],
      ['sport/tennis/player1/#', 'sport/tennis/player1/ranking'],
      ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon'],
      ['sport/#', 'sport'],
      ['#', 'sport/tennis'],
      ['#', '/'],
      ['sport/tennis/+', 'sport/tennis/player1'],
      ['sport/+', 'sport/'],
      ['+/+', '/finance'],
      ['/+', '/finance'],
      ['$SYS/#', '$SYS/monitor/Clients'],
      ['$SYS/monitor/+', '$SYS/monitor/Clients'],
      ['a/$x', 'a/$x'],
      ['+/$x', 'a/$x'],
    ];
    const no: [string, string][] = [
      ['sport/+', 'sport'],
      ['+', '/finance'],
      ['sport/tennis/+', 'sport/tennis/player1/ranking'],
      ['#', '$SYS/monitor/Clients'], // MQTT-4.7.2-1
      ['+/monitor/Clients', '$SYS/monitor/Clients'],
      ['+', '$SYS'],
      ['ACCOUNTS', 'Accounts'], // MQTT-4.7.3-4: case sensitive, no normalization
      ['a/b', 'a/b/'],
      ['a/b/', 'a/b'],
      ['a/+', 'a/+'], // a wildcard in the name is not a name
      ['a/#/b', 'a/x/b'], // an invalid filter matches nothing
    ];
    for (const [f, t] of yes) expect(topicMatches(f, t), `${f} ~ ${t}`).toBe(true);
    for (const [f, t] of no) expect(topicMatches(f, t), `${f} !~ ${t}`).toBe(false);
  });

  const level = fc.constantFrom('a', 'b', '', '$s', 'tf');
  const topic = fc
    .array(level, { minLength: 1, maxLength: 5 })
    .map((l) => l.join('/'))
    .filter((t) => t !== '');

  it('a topic name used as a filter matches exactly itself', () => {
    fc.assert(
      fc.property(topic, topic, (a, b) => {
        expect(topicMatches(a, a)).toBe(true);
        expect(topicMatches(a, b)).toBe(a === b);
      }),
    );
  });

  it('"#" matches every topic not starting with $, and a/# matches a and everything below it', () => {
    fc.assert(
      fc.property(topic, topic, (a, b) => {
        expect(topicMatches('#', a)).toBe(!a.startsWith('$'));
        expect(topicMatches(`${a}/#`, `${a}/${b}`)).toBe(true);
        expect(topicMatches(`${a}/#`, a)).toBe(true);
      }),
    );
  });
});

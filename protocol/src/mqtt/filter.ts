/**
 * MQTT 3.1.1 topic names, topic filters and matching (MQTT 3.1.1 §4.7), independent of TinyFleet's tree.
 * Pure functions; the broker's hooks and the ACL (./acl.ts) build on them.
 */
import { ProtocolError } from '../errors.js';

/** Largest UTF-8 length of a topic name or filter. // MQTT-4.7.3-3 */
export const MAX_TOPIC_BYTES = 65535;

const encoder = new TextEncoder();
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkCommon(s: string, what: string): void {
  // MQTT-4.7.3-1: at least one character.
  if (s.length === 0) throw new ProtocolError('BAD_FIELD', `${what} is empty`);
  // MQTT-4.7.3-2: no U+0000.
  if (s.includes('\u0000')) throw new ProtocolError('BAD_FIELD', `${what} contains NUL`);
  // MQTT-1.5.3-1: well-formed UTF-8, so no lone surrogates in the JS string.
  if (LONE_SURROGATE.test(s)) throw new ProtocolError('BAD_FIELD', `${what} is not well-formed Unicode`);
  // MQTT-4.7.3-3: at most 65535 bytes of UTF-8.
  if (encoder.encode(s).length > MAX_TOPIC_BYTES) throw new ProtocolError('TOO_LARGE', `${what} is too long`);
}

/** Throws ProtocolError unless `topic` is a valid topic name (what PUBLISH carries). */
export function validateTopicName(topic: string): void {
  checkCommon(topic, 'topic name');
  // MQTT-4.7.1-1, MQTT-3.3.2-2: no wildcards in a topic name.
  if (topic.includes('+') || topic.includes('#')) {
    throw new ProtocolError('BAD_FIELD', `topic name contains a wildcard: ${JSON.stringify(topic)}`);
  }
}

/** Throws ProtocolError unless `filter` is a valid topic filter (what SUBSCRIBE carries). */
export function validateTopicFilter(filter: string): void {
  checkCommon(filter, 'topic filter');
  const levels = filter.split('/');
  levels.forEach((level, i) => {
    if (level.includes('#')) {
      // MQTT-4.7.1-2: '#' alone in its level, and the last level.
      if (level !== '#' || i !== levels.length - 1) {
        throw new ProtocolError('BAD_FIELD', `'#' must be the whole last level: ${JSON.stringify(filter)}`);
      }
    }
    // MQTT-4.7.1-3: '+' occupies an entire level.
    if (level.includes('+') && level !== '+') {
      throw new ProtocolError('BAD_FIELD', `'+' must be a whole level: ${JSON.stringify(filter)}`);
    }
  });
}

export function isValidTopicName(topic: string): boolean {
  try {
    validateTopicName(topic);
    return true;
  } catch {
    return false;
  }
}

export function isValidTopicFilter(filter: string): boolean {
  try {
    validateTopicFilter(filter);
    return true;
  } catch {
    return false;
  }
}

/**
 * Does `filter` match `topic`, as a broker delivers (MQTT 3.1.1 §4.7)? Levels are split on '/', empty
 * levels included ('/a' has levels '' and 'a'). Invalid filters or names match nothing.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (!isValidTopicFilter(filter) || !isValidTopicName(topic)) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  // MQTT-4.7.2-1: a filter starting with a wildcard never matches a topic starting with '$'.
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    // MQTT-4.7.1-2: '#' matches the parent level and any number of child levels ('a/#' matches 'a').
    if (level === '#') return true;
    const name = t[i];
    if (name === undefined) return false;
    // MQTT-4.7.1-3: '+' matches exactly one level, which may be empty.
    if (level !== '+' && level !== name) return false; // MQTT-4.7.3-4: exact, no normalization
  }
  return f.length === t.length;
}

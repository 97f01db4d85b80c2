/**
 * Filter containment: is every topic a subscription filter can match also matched by one of a set of
 * allowed patterns? This is what makes wildcard subscriptions safe to authorize (PROTOCOL.md §2.2).
 *
 * The check walks the filter level by level, carrying the set of pattern suffixes still alive. Where the
 * filter has a wildcard, the topic level could be any string; the alive patterns can only tell apart the
 * literals they name, so it suffices to try each of those literals and one fresh string equal to none.
 * Matching semantics are those of ./filter.ts (MQTT 3.1.1 §4.7).
 */
import { isValidTopicFilter } from './filter.js';

type Suffix = readonly string[];

/** Pattern suffixes alive after a topic level `x` at level index `depth`. */
function advance(alive: readonly Suffix[], x: string, depth: number): Suffix[] {
  // MQTT-4.7.2-1: a pattern's leading wildcard does not match a '$' first level.
  const dollar = depth === 0 && x.startsWith('$');
  const out: Suffix[] = [];
  for (const p of alive) {
    const head = p[0];
    if (head === undefined) continue;
    if (head === '#') {
      if (!dollar) out.push(p); // '#' absorbs the level and stays
    } else if (head === '+') {
      if (!dollar) out.push(p.slice(1));
    } else if (head === x) {
      out.push(p.slice(1));
    }
  }
  return out;
}

/** Does some alive pattern accept a topic that ends here? ('a/#' matches 'a': MQTT-4.7.1-2.) */
function acceptsEnd(alive: readonly Suffix[]): boolean {
  return alive.some((p) => p.length === 0 || (p.length === 1 && p[0] === '#'));
}

/** The topic levels worth trying where the filter has a wildcard: each alive literal, plus a fresh one. */
function candidates(alive: readonly Suffix[], depth: number): string[] {
  const literals = new Set<string>();
  for (const p of alive) {
    const head = p[0];
    // The filter's own leading wildcard cannot produce a '$' first level either (MQTT-4.7.2-1).
    if (head !== undefined && head !== '+' && head !== '#' && !(depth === 0 && head.startsWith('$'))) {
      literals.add(head);
    }
  }
  let fresh = 'x';
  while (literals.has(fresh)) fresh += 'x';
  return [...literals, fresh];
}

/** Every continuation of one or more levels, starting at `depth`, is accepted by `alive`. */
function coversAllBelow(alive: readonly Suffix[], depth: number): boolean {
  if (alive.some((p) => p.length === 1 && p[0] === '#')) return true;
  if (alive.length === 0) return false;
  // Without a bare '#', every alive suffix shrinks by one level per step, so this recursion ends.
  for (const x of candidates(alive, depth)) {
    const next = advance(alive, x, depth);
    const endOk = isEmptyTopic(depth, x) || acceptsEnd(next);
    if (!endOk || !coversAllBelow(next, depth + 1)) return false;
  }
  return true;
}

/** A topic made of the single level '' is the empty string, which is no topic (MQTT-4.7.3-1). */
function isEmptyTopic(depth: number, level: string): boolean {
  return depth === 0 && level === '';
}

/** `empty`: the levels consumed so far are exactly one empty level, so ending here is no topic. */
function covers(filter: readonly string[], i: number, alive: readonly Suffix[], empty: boolean): boolean {
  const head = filter[i];
  if (head === undefined) return empty || acceptsEnd(alive); // the topic ends here (i >= 1)
  // Shortcuts that also bound the recursion by the patterns' length, not the filter's (up to 32768 levels).
  if (alive.length === 0) return false;
  if (i > 0 && alive.some((p) => p.length === 1 && p[0] === '#')) return true;
  if (head === '#') {
    // MQTT-4.7.1-2: '#' also matches the parent level itself, i.e. the topic ending here.
    if (i > 0 && !empty && !acceptsEnd(alive)) return false;
    return coversAllBelow(alive, i);
  }
  if (head === '+') {
    return candidates(alive, i).every((x) => covers(filter, i + 1, advance(alive, x, i), isEmptyTopic(i, x)));
  }
  return covers(filter, i + 1, advance(alive, head, i), isEmptyTopic(i, head));
}

/**
 * True when every topic name `filter` can match is matched by at least one of `patterns` (all MQTT topic
 * filters). An invalid filter is covered by nothing; invalid patterns are ignored.
 */
export function filterCoveredBy(filter: string, patterns: readonly string[]): boolean {
  if (!isValidTopicFilter(filter)) return false;
  const alive = patterns.filter(isValidTopicFilter).map((p) => p.split('/'));
  return covers(filter.split('/'), 0, alive, false);
}

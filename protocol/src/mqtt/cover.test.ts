import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filterCoveredBy } from './cover.js';
import { topicMatches } from './filter.js';

/** Every topic of 1..depth levels over `alphabet` (the empty single-level topic is not a topic). */
function allTopics(alphabet: readonly string[], depth: number): string[] {
  const out: string[] = [];
  let layer: string[][] = [[]];
  for (let d = 1; d <= depth; d++) {
    layer = layer.flatMap((prefix) => alphabet.map((x) => [...prefix, x]));
    for (const l of layer) {
      const t = l.join('/');
      if (t !== '') out.push(t);
    }
  }
  return out;
}

// Literals the filters and patterns use, plus 'z' that none uses: enough to tell any two apart. Filters
// and patterns have at most 3 levels, so topics of up to 4 levels show every difference.
const LITERALS = ['a', 'b', '', '$s'];
const TOPICS = allTopics([...LITERALS, 'z'], 4);

const filterArb = fc
  .tuple(fc.array(fc.constantFrom(...LITERALS, '+'), { minLength: 0, maxLength: 3 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).slice(0, 3))
  .filter((l) => l.length > 0 && l.join('/') !== '')
  .map((l) => l.join('/'));

describe('filterCoveredBy (PROTOCOL.md §2.2)', () => {
  it('agrees with brute force over all short topics', () => {
    fc.assert(
      fc.property(filterArb, fc.array(filterArb, { maxLength: 3 }), (filter, patterns) => {
        const oracle = TOPICS.every(
          (t) => !topicMatches(filter, t) || patterns.some((p) => topicMatches(p, t)),
        );
        expect(filterCoveredBy(filter, patterns)).toBe(oracle);
      }),
      { numRuns: 1000 },
    );
  });

  it('handles the cases that matter for the ACL', () => {
    const own = ['tf/v1/gw/g1/down/#', 'tf/v1/gw/g1/dev/+/down/#'];
    expect(filterCoveredBy('tf/v1/gw/g1/down/#', own)).toBe(true);
    expect(filterCoveredBy('tf/v1/gw/g1/down', own)).toBe(true); // '#' matches the parent level
    expect(filterCoveredBy('tf/v1/gw/g1/dev/d7/down/+', own)).toBe(true);
    expect(filterCoveredBy('tf/v1/gw/g1/#', own)).toBe(false);
    expect(filterCoveredBy('tf/v1/gw/+/down/#', own)).toBe(false);
    expect(filterCoveredBy('+/v1/gw/g1/down/cmd', own)).toBe(false);
    expect(filterCoveredBy('#', own)).toBe(false);
    expect(filterCoveredBy('#', ['#'])).toBe(true);
    expect(filterCoveredBy('$SYS/#', ['#'])).toBe(false); // MQTT-4.7.2-1
    expect(filterCoveredBy('+/x', ['a/x', '+/x'])).toBe(true);
    // A union covers what no single pattern covers.
    expect(filterCoveredBy('a/+', ['a/b', 'a/+/#'])).toBe(true);
    expect(filterCoveredBy('a/#', ['a', 'a/+/#'])).toBe(true);
    expect(filterCoveredBy('a/#', ['a/+/#'])).toBe(false);
    expect(filterCoveredBy('a/+/#', [])).toBe(false);
    expect(filterCoveredBy('a/#/b', ['#'])).toBe(false); // invalid filter
    // '/#' would match its parent, the one-empty-level topic '', but '' is no topic (MQTT-4.7.3-1).
    expect(filterCoveredBy('/#', ['/+/#'])).toBe(true);
    expect(filterCoveredBy('+/#', ['+/+/#'])).toBe(false); // 'a' is a topic
    // Deep filters cost the patterns' depth, not the filter's.
    const deep = Array.from({ length: 30000 }, () => 'a').join('/');
    expect(filterCoveredBy(deep, ['a/#'])).toBe(true);
    expect(filterCoveredBy(deep, ['a/a'])).toBe(false);
    expect(filterCoveredBy(`${deep}/+/#`, ['a/+/#'])).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { cached, LruCache } from './lru.js';

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const c = new LruCache<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    c.get('a');
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c'), c.size]).toEqual([1, undefined, 3, 2]);
  });

  it('computes through the cache once, and a zero capacity keeps nothing', () => {
    let calls = 0;
    const c = new LruCache<number, number>(4);
    const f = (k: number): number => {
      calls++;
      return k * 2;
    };
    expect([cached(c, 1, f), cached(c, 1, f), calls]).toEqual([2, 2, 1]);
    const none = new LruCache<number, number>(0);
    none.set(1, 1);
    expect(none.size).toBe(0);
  });
});

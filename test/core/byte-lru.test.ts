import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteLru, type EvictionReason } from '../../src/core/byte-lru.js';

/** lru-cache's checkSize: sum of entry sizes == reported size <= max. */
function checkInvariants(lru: ByteLru<string>): void {
  let sum = 0;
  for (const [, bytes] of lru.entries()) sum += bytes.byteLength;
  expect(lru.bytes).toBe(sum);
  expect(lru.bytes).toBeLessThanOrEqual(lru.maxBytes);
}

const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

describe('ByteLru', () => {
  describe('set()', () => {
    it('evicts least-recently-used entries until under maxBytes', () => {
      const evicted: [string, EvictionReason][] = [];
      const lru = new ByteLru<string>(10, (key, _b, reason) => evicted.push([key, reason]));
      lru.set('a', bytes(4));
      lru.set('b', bytes(4));
      lru.get('a'); // a is now most recent
      lru.set('c', bytes(4));
      expect([...lru.keys()]).toEqual(['a', 'c']);
      expect(evicted).toEqual([['b', 'evict']]);
      checkInvariants(lru);
    });
    it('refuses an entry larger than the bound and evicts nothing', () => {
      const lru = new ByteLru<string>(5);
      lru.set('a', bytes(3));
      expect(lru.set('big', bytes(6))).toBe(false);
      expect([...lru.keys()]).toEqual(['a']);
      checkInvariants(lru);
    });
    it('replaces an entry, reporting the old bytes', () => {
      const evicted: EvictionReason[] = [];
      const lru = new ByteLru<string>(100, (_k, _b, reason) => evicted.push(reason));
      lru.set('a', bytes(10));
      lru.set('a', bytes(20));
      expect(lru.bytes).toBe(20);
      expect(evicted).toEqual(['replace']);
    });
    it('is unbounded with Infinity', () => {
      const lru = new ByteLru<string>(Infinity);
      for (let i = 0; i < 100; i++) lru.set(String(i), bytes(1000));
      expect(lru.size).toBe(100);
      checkInvariants(lru);
    });
  });
  describe('peek()', () => {
    it('does not change recency', () => {
      const lru = new ByteLru<string>(8);
      lru.set('a', bytes(4));
      lru.set('b', bytes(4));
      lru.peek('a');
      lru.set('c', bytes(4));
      expect(lru.has('a')).toBe(false);
    });
  });
  describe('clear()', () => {
    it('reports every entry with reason clear', () => {
      const reasons: EvictionReason[] = [];
      const lru = new ByteLru<string>(100, (_k, _b, r) => reasons.push(r));
      lru.set('a', bytes(1));
      lru.set('b', bytes(1));
      lru.clear();
      expect(reasons).toEqual(['clear', 'clear']);
      expect(lru.bytes).toBe(0);
    });
  });
  it('keeps its invariants after every operation of a random sequence (property)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('set' as const),
        key: fc.integer({ min: 0, max: 9 }),
        size: fc.integer({ min: 0, max: 40 }),
      }),
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.array(op, { maxLength: 60 }), (max, ops) => {
        const lru = new ByteLru<string>(max);
        const model: string[] = []; // keys, least recent first
        const sizes = new Map<string, number>();
        for (const o of ops) {
          const key = String(o.key);
          if (o.kind === 'set') {
            const stored = lru.set(key, bytes(o.size));
            expect(stored).toBe(o.size <= max);
            if (stored) {
              const i = model.indexOf(key);
              if (i >= 0) model.splice(i, 1);
              model.push(key);
              sizes.set(key, o.size);
              let total = model.reduce((s, k) => s + sizes.get(k)!, 0);
              while (total > max) total -= sizes.get(model.shift()!)!;
            }
          } else if (o.kind === 'get') {
            const i = model.indexOf(key);
            expect(lru.get(key) !== undefined).toBe(i >= 0);
            if (i >= 0) model.push(...model.splice(i, 1));
          } else {
            const i = model.indexOf(key);
            expect(lru.delete(key)).toBe(i >= 0);
            if (i >= 0) model.splice(i, 1);
          }
          checkInvariants(lru);
          expect([...lru.keys()]).toEqual(model);
        }
      }),
    );
  });
});

describe('ByteLru pinning', () => {
  it('never evicts a pinned entry and counts it in the budget', () => {
    const lru = new ByteLru<string>(10);
    lru.set('coarse', bytes(4), true);
    lru.set('a', bytes(4));
    lru.set('b', bytes(4)); // evicts a, not the pinned one
    expect([...lru.keys()]).toEqual(['b', 'coarse']);
    expect(lru.pinnedBytes).toBe(4);
    checkInvariants(lru);
  });
  it('refuses an entry that cannot fit beside the pinned ones', () => {
    const lru = new ByteLru<string>(10);
    lru.set('p', bytes(8), true);
    expect(lru.set('x', bytes(3))).toBe(false);
    expect(lru.has('p')).toBe(true);
    checkInvariants(lru);
  });
  it('pin() moves a held entry out of eviction; unpinAll() makes it evictable again', () => {
    const lru = new ByteLru<string>(8);
    lru.set('a', bytes(4));
    expect(lru.pin('a')).toBe(true);
    lru.set('b', bytes(4));
    lru.set('c', bytes(4));
    expect(lru.has('a')).toBe(true);
    lru.unpinAll();
    lru.set('d', bytes(4));
    expect(lru.pinnedBytes).toBe(0);
    checkInvariants(lru);
  });
  it('keeps its invariants with random pins, and pinned entries always stay (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 9 }), fc.boolean()), {
          maxLength: 50,
        }),
        (ops) => {
          const lru = new ByteLru<string>(20);
          const pinnedModel = new Map<string, number>();
          for (const [k, size, pinned] of ops) {
            const key = String(k);
            if (lru.set(key, bytes(size), pinned)) {
              if (pinned) pinnedModel.set(key, size);
              else pinnedModel.delete(key);
            }
            checkInvariants(lru);
            expect(lru.pinnedBytes).toBe([...pinnedModel.values()].reduce((a, b) => a + b, 0));
            for (const pinnedKey of pinnedModel.keys()) expect(lru.has(pinnedKey)).toBe(true);
          }
        },
      ),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBatchRecord, SpillIndex, type BatchRecord } from '../../src/spill/spill-index.js';

const record = (t: number, entries: [string, number][]): BatchRecord => ({
  t,
  keys: entries.map(([k]) => k),
  sizes: entries.map(([, s]) => s),
});

/** storedBytes == the sum of each owned key's size, every key owned once. */
function checkIndex(index: SpillIndex, model: Map<string, number>): void {
  let sum = 0;
  for (const size of model.values()) sum += size;
  expect(index.storedBytes).toBe(sum);
  for (const key of model.keys()) expect(index.has(key)).toBe(true);
}

describe('SpillIndex', () => {
  describe('add()', () => {
    it('counts a key written by two batches once, owned by the newer', () => {
      const index = new SpillIndex();
      index.add(1, record(10, [['a', 5], ['b', 7]]));
      index.add(2, record(20, [['b', 9]]));
      expect(index.storedBytes).toBe(14);
      expect(index.ownedKeys([1])).toEqual(['a']);
      expect(index.remove(1)).toEqual(['a']);
      expect(index.storedBytes).toBe(9);
      expect(index.has('b')).toBe(true);
    });

    it('keeps batches in id order when an older id arrives late (another tab)', () => {
      const index = new SpillIndex();
      index.add(5, record(50, [['x', 1]]));
      index.add(3, record(30, [['y', 1], ['x', 1]]));
      expect(index.batchIds()).toEqual([3, 5]);
      expect(index.oldestId()).toBe(3);
      expect(index.maxId).toBe(5);
      expect(index.ownedKeys([3])).toEqual(['y']);
      expect(index.storedBytes).toBe(2);
    });
  });

  describe('planEviction()', () => {
    it('picks the oldest batches until the incoming bytes fit', () => {
      const index = new SpillIndex();
      index.add(1, record(1, [['a', 100]]));
      index.add(2, record(2, [['b', 100]]));
      index.add(3, record(3, [['c', 100]]));
      expect(index.planEviction(0, 300)).toEqual([]);
      expect(index.planEviction(1, 300)).toEqual([1]);
      expect(index.planEviction(150, 300)).toEqual([1, 2]);
      expect(index.planEviction(150, 300, [2])).toEqual([1]);
    });
  });

  describe('expired()', () => {
    it('scans from the head only, or all batches', () => {
      const index = new SpillIndex();
      index.add(1, record(0, [['a', 1]]));
      index.add(2, record(900, [['b', 1]]));
      index.add(3, record(100, [['c', 1]]));
      expect(index.expired(1000, 500, true)).toEqual([1]);
      expect(index.expired(1000, 500, false)).toEqual([1, 3]);
      expect(index.expired(-1000, 500, false)).toEqual([1, 2, 3]);
    });
  });

  describe('isBatchRecord()', () => {
    it('accepts only the stored shape', () => {
      expect(isBatchRecord(record(1, [['a', 1]]))).toBe(true);
      expect(isBatchRecord({ t: 1, keys: ['a'], sizes: [] })).toBe(false);
      expect(isBatchRecord({ t: 1, keys: [1], sizes: [1] })).toBe(false);
      expect(isBatchRecord({ t: 1, keys: ['a'], sizes: [-1] })).toBe(false);
      expect(isBatchRecord(null)).toBe(false);
    });
  });

  it('keeps storedBytes equal to the owned sizes under any sequence of changes', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), keys: fc.uniqueArray(fc.integer({ min: 0, max: 12 }), { maxLength: 4 }), size: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('removeKey' as const), key: fc.integer({ min: 0, max: 12 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const index = new SpillIndex();
        const model = new Map<string, number>();
        const owner = new Map<string, number>();
        let nextId = 1;
        for (const o of ops) {
          if (o.kind === 'add') {
            const id = nextId++;
            index.add(id, record(id, o.keys.map((k) => [`k${k}`, o.size])));
            for (const k of o.keys) {
              model.set(`k${k}`, o.size);
              owner.set(`k${k}`, id);
            }
          } else if (o.kind === 'remove') {
            const ids = index.batchIds();
            if (ids.length === 0) continue;
            const id = ids[o.pick % ids.length]!;
            const removed = index.remove(id).sort();
            const expected = [...owner].filter(([, b]) => b === id).map(([k]) => k).sort();
            expect(removed).toEqual(expected);
            for (const k of removed) {
              model.delete(k);
              owner.delete(k);
            }
          } else {
            index.removeKey(`k${o.key}`);
            model.delete(`k${o.key}`);
            owner.delete(`k${o.key}`);
          }
          checkIndex(index, model);
        }
      }),
      { numRuns: 200 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBatchRecord, SpillIndex, type BatchRecord } from '../../src/spill/spill-index.js';

const record = (t: number, entries: [string, number][]): BatchRecord => ({
  t,
  keys: entries.map(([k]) => k),
  sizes: entries.map(([, s]) => s),
});

describe('SpillIndex', () => {
  describe('add() and locate()', () => {
    it('finds each key in its batch at its position in the chunk', () => {
      const index = new SpillIndex();
      index.add(
        1,
        record(10, [
          ['a', 5],
          ['b', 7],
        ]),
      );
      expect(index.locate('b')).toMatchObject({
        batch: { id: 1, sizes: [5, 7], bytes: 12, storedAt: 10 },
        position: 1,
      });
      expect(index.locate('c')).toBeUndefined();
      expect(index.storedBytes).toBe(12);
    });

    it('a key written by two batches is read from the newer; both chunks count as stored', () => {
      const index = new SpillIndex();
      index.add(
        1,
        record(10, [
          ['a', 5],
          ['b', 7],
        ]),
      );
      index.add(2, record(20, [['b', 7]]));
      expect(index.locate('b')).toMatchObject({ batch: { id: 2 }, position: 0 });
      expect(index.storedBytes).toBe(19);
      expect(index.superseded()).toEqual([]);
      index.add(3, record(30, [['a', 5]]));
      expect(index.superseded()).toEqual([1]);
      expect(index.remove(1)).toBe(true);
      expect(index.locate('a')?.batch.id).toBe(3);
      expect(index.storedBytes).toBe(12);
    });

    it('keeps batches in id order when an older id arrives late (another tab)', () => {
      const index = new SpillIndex();
      index.add(5, record(50, [['x', 1]]));
      index.add(
        3,
        record(30, [
          ['y', 1],
          ['x', 1],
        ]),
      );
      expect(index.batchIds()).toEqual([3, 5]);
      expect(index.oldestId()).toBe(3);
      expect(index.locate('x')?.batch.id).toBe(5);
      expect(index.storedBytes).toBe(3);
    });

    it('never adds again a batch it removed (a stale snapshot cannot bring it back)', () => {
      const index = new SpillIndex();
      expect(index.add(1, record(1, [['a', 1]]))).toBe(true);
      expect(index.add(1, record(1, [['a', 1]]))).toBe(false);
      expect(index.remove(1)).toBe(true);
      expect(index.remove(1)).toBe(false);
      expect(index.add(1, record(1, [['a', 1]]))).toBe(false);
      expect(index.knows(1)).toBe(true);
      expect(index.has('a')).toBe(false);
      expect(index.storedBytes).toBe(0);
    });
  });

  describe('retainOnly()', () => {
    it('removes batches a snapshot lacks, but not ones added after the snapshot began', () => {
      const index = new SpillIndex();
      index.add(1, record(1, [['a', 1]]));
      index.add(2, record(2, [['b', 1]]));
      const version = index.version;
      index.add(3, record(3, [['c', 1]])); // written after the snapshot was asked for
      expect(index.retainOnly(new Set([2]), version)).toEqual([1]);
      expect(index.batchIds()).toEqual([2, 3]);
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

  it('under any sequence of changes: storedBytes is the sum of the chunks, each key read from the batch that owns it', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('add' as const),
        keys: fc.uniqueArray(fc.integer({ min: 0, max: 12 }), { maxLength: 4 }),
        size: fc.integer({ min: 0, max: 50 }),
      }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const index = new SpillIndex();
        const present = new Map<number, BatchRecord>();
        const owner = new Map<string, number>();
        let nextId = 1;
        for (const o of ops) {
          if (o.kind === 'add') {
            const id = nextId++;
            const r = record(
              id,
              o.keys.map((k) => [`k${k}`, o.size]),
            );
            index.add(id, r);
            present.set(id, r);
            for (const k of r.keys) owner.set(k, id);
          } else {
            const ids = index.batchIds();
            if (ids.length === 0) continue;
            const id = ids[o.pick % ids.length]!;
            expect(index.remove(id)).toBe(true);
            present.delete(id);
            for (const [k, b] of owner) if (b === id) owner.delete(k);
          }
          let sum = 0;
          for (const r of present.values()) for (const s of r.sizes) sum += s;
          expect(index.storedBytes).toBe(sum);
          expect(index.batchIds()).toEqual([...present.keys()]);
          for (let k = 0; k <= 12; k++) {
            const location = index.locate(`k${k}`);
            expect(location?.batch.id).toBe(owner.get(`k${k}`));
            if (location !== undefined) expect(location.batch.keys[location.position]).toBe(`k${k}`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

import { IDBDatabase as FakeIDBDatabase, IDBObjectStore as FakeIDBObjectStore } from 'fake-indexeddb';
import { set as rawSet } from 'idb-keyval';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { URL_A } from '../helpers/engine.js';
import { checkInvariant, dumpRaw, frame, key, openRaw, rawStore, setup } from './spill-test-db.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('IdbSpillStore', () => {
  describe('putMany() and getMany()', () => {
    it('round-trips a batch, in any key order, with unknown keys undefined', async () => {
      const { make, factory, dbName } = setup();
      const store = make();
      store.putMany([
        [key(1), frame(1)],
        [key(2), frame(2, 50)],
        [key(3), frame(3, 7)],
      ]);
      await store.flush();
      const fresh = make();
      const got = await fresh.getMany([key(3), key(9), key(1), key(2)]);
      expect(got).toEqual([frame(3, 7), undefined, frame(1), frame(2, 50)]);
      expect(store.stats()).toEqual({ storedBytes: 157, errors: 0 });
      await checkInvariant(store, factory, dbName, 1024 * 1024);
    });

    it('reads a whole getMany batch in ONE transaction', async () => {
      const { make } = setup();
      const store = make();
      store.putMany(Array.from({ length: 50 }, (_, i): [string, Uint8Array] => [key(i + 1), frame(i)]));
      await store.flush();
      const transaction = vi.spyOn(FakeIDBDatabase.prototype, 'transaction');
      const got = await store.getMany(Array.from({ length: 60 }, (_, i) => key(i + 1)));
      expect(transaction).toHaveBeenCalledTimes(1);
      expect(got.filter((b) => b !== undefined)).toHaveLength(50);
      expect(got[49]).toEqual(frame(49));
    });

    it('serves frames still queued without touching IndexedDB', async () => {
      const { make } = setup();
      const store = make();
      const transaction = vi.spyOn(FakeIDBDatabase.prototype, 'transaction');
      store.putMany([[key(1), frame(1)]]);
      expect(await store.getMany([key(1)])).toEqual([frame(1)]);
      expect(transaction).not.toHaveBeenCalled();
    });

    it('stores only the frame of a view into a larger buffer', async () => {
      const { make, factory, dbName } = setup();
      const store = make();
      const big = frame(9, 1000);
      store.putMany([[key(1), big.subarray(100, 200)]]);
      await store.flush();
      const { frames } = await dumpRaw(factory, dbName);
      expect(frames[0]![1].v[0]!.buffer.byteLength).toBe(100);
      expect(await make().getMany([key(1)])).toEqual([big.subarray(100, 200)]);
    });

    it('writes a frame put twice (queued, then stored) once', async () => {
      const { make, factory, dbName } = setup();
      const store = make();
      const put = vi.spyOn(FakeIDBObjectStore.prototype, 'put');
      store.putMany([[key(1), frame(1)]]);
      store.putMany([
        [key(1), frame(1)],
        [key(2), frame(2)],
      ]);
      await store.flush();
      const transaction = vi.spyOn(FakeIDBDatabase.prototype, 'transaction');
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      expect(transaction).not.toHaveBeenCalled();
      expect(put).toHaveBeenCalledTimes(1); // one chunk holds both frames
      const { batches } = await dumpRaw(factory, dbName);
      expect(batches).toHaveLength(1);
      expect(batches[0]![1].keys).toHaveLength(2);
      expect(store.stats().storedBytes).toBe(200);
    });

    it('never throws on odd input and skips frames larger than maxBytes', async () => {
      const { make } = setup({ maxBytes: 150 });
      const store = make();
      expect(() =>
        store.putMany([
          [key(1), frame(1, 151)],
          [key(2), 'not bytes' as unknown as Uint8Array],
          [key(3), frame(3, 150)],
        ]),
      ).not.toThrow();
      await store.flush();
      expect(await make().getMany([key(1), key(2), key(3)])).toEqual([undefined, undefined, frame(3, 150)]);
    });
  });

  describe('write-behind', () => {
    it('writes a batch batchDelayMs after the first put, not before', async () => {
      const { make, timers } = setup({ batchDelayMs: 50 });
      const store = make();
      const reader = make();
      store.putMany([[key(1), frame(1)]]);
      timers.advance(49);
      await reader.flush();
      expect(await reader.getMany([key(1)])).toEqual([undefined]);
      store.putMany([[key(2), frame(2)]]);
      timers.advance(1);
      expect(timers.pendingTimers).toBe(0);
      await store.flush();
      expect(await reader.getMany([key(1), key(2)])).toEqual([frame(1), frame(2)]);
    });

    it('writes at once when batchMaxBytes are queued, in batches of at most that size', async () => {
      const { make, timers, factory, dbName } = setup({ batchMaxBytes: 250 });
      const store = make();
      store.putMany([
        [key(1), frame(1)],
        [key(2), frame(2)],
      ]);
      expect(timers.pendingTimers).toBe(1);
      store.putMany([[key(3), frame(3)]]);
      expect(timers.pendingTimers).toBe(0);
      await store.flush();
      const { batches } = await dumpRaw(factory, dbName);
      expect(batches.map(([, b]) => b.keys.length)).toEqual([2, 1]);
    });

    it('flush() resolves once every queued write is readable', async () => {
      const { make } = setup();
      const store = make();
      for (let i = 1; i <= 20; i++) store.putMany([[key(i), frame(i)]]);
      await store.flush();
      const got = await make().getMany(Array.from({ length: 20 }, (_, i) => key(i + 1)));
      expect(got.every((b, i) => b !== undefined && b[0] === frame(i + 1)[0])).toBe(true);
    });
  });

  describe('namespaces', () => {
    it('never serves a frame of one namespace to another on the same database', async () => {
      const { make } = setup();
      const alice = make({ namespace: 'alice' });
      const bob = make({ namespace: 'bob' });
      alice.putMany([[key(1), frame(1)]]);
      await alice.flush();
      expect(await bob.getMany([key(1)])).toEqual([undefined]);
      expect(await alice.getMany([key(1)])).toEqual([frame(1)]);
      expect(await make().getMany([key(1)])).toEqual([undefined]);
    });

    it('keeps prefixes unambiguous (namespace "a" + "bc" is not "ab" + "c")', async () => {
      const { make } = setup();
      const a = make({ namespace: 'a' });
      const ab = make({ namespace: 'ab' });
      a.putMany([['bc', frame(1)]]);
      await a.flush();
      expect(await ab.getMany(['c'])).toEqual([undefined]);
    });
  });

  describe('expiry', () => {
    it('refuses and deletes entries maxAgeMs old, without counting an error', async () => {
      const { make, wall, factory, dbName } = setup({ maxAgeMs: 1000 });
      const store = make();
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      wall.now += 999;
      expect(await store.getMany([key(1)])).toEqual([frame(1)]);
      wall.now += 1;
      expect(await store.getMany([key(1)])).toEqual([undefined]);
      await store.flush();
      expect(store.stats()).toEqual({ storedBytes: 0, errors: 0 });
      const raw = await dumpRaw(factory, dbName);
      expect(raw.frames).toEqual([]);
      expect(raw.batches).toEqual([]);
    });

    it('drops expired batches when a reloaded store loads its index', async () => {
      const { make, wall, factory, dbName } = setup({ maxAgeMs: 1000 });
      const first = make();
      first.putMany([[key(1), frame(1)]]);
      await first.flush();
      wall.now += 500;
      first.putMany([[key(2), frame(2)]]);
      await first.flush();
      first.close();
      wall.now += 600;
      const reloaded = make();
      await reloaded.flush();
      expect(reloaded.stats().storedBytes).toBe(100);
      const raw = await dumpRaw(factory, dbName);
      expect(raw.batches.map(([, b]) => b.keys)).toEqual([[`0::${key(2)}`]]);
      expect(raw.frames.map(([id]) => id)).toEqual(raw.batches.map(([id]) => id));
    });
  });

  describe('eviction', () => {
    it('evicts whole batches oldest first to stay under maxBytes', async () => {
      const maxBytes = 300;
      const { make, factory, dbName } = setup({ maxBytes });
      const store = make();
      store.putMany([
        [key(1), frame(1)],
        [key(2), frame(2)],
      ]);
      await store.flush();
      store.putMany([[key(3), frame(3)]]);
      await store.flush();
      await checkInvariant(store, factory, dbName, maxBytes);
      store.putMany([
        [key(4), frame(4)],
        [key(5), frame(5)],
      ]);
      await store.flush();
      expect(await store.getMany([1, 2, 3, 4, 5].map((n) => key(n)))).toEqual([
        undefined,
        undefined,
        frame(3),
        frame(4),
        frame(5),
      ]);
      expect(store.stats().storedBytes).toBe(300);
      await checkInvariant(store, factory, dbName, maxBytes);
      store.putMany([[key(6), frame(6, 250)]]);
      await store.flush();
      expect(await store.getMany([3, 4, 5, 6].map((n) => key(n)))).toEqual([
        undefined,
        undefined,
        undefined,
        frame(6, 250),
      ]);
      await checkInvariant(store, factory, dbName, maxBytes);
    });

    it('holds the bound across two stores (tabs) writing to one database', async () => {
      const maxBytes = 300;
      const { make, factory, dbName } = setup({ maxBytes });
      const tabA = make();
      const tabB = make();
      await tabB.flush(); // B loads its index before A writes
      tabA.putMany([[key(1), frame(1, 200)]]);
      await tabA.flush();
      tabB.putMany([[key(2), frame(2, 200)]]);
      await tabB.flush();
      const { batches } = await dumpRaw(factory, dbName);
      expect(batches.map(([, b]) => b.keys)).toEqual([[`0::${key(2)}`]]);
      expect(tabB.stats().storedBytes).toBe(200);
      await checkInvariant(tabB, factory, dbName, maxBytes);
    });
  });

  describe('chunks', () => {
    it('stores a write as chunks of at most chunkMaxBytes, in one transaction, and reads them in one', async () => {
      const { make, factory, dbName } = setup({ chunkMaxBytes: 250 });
      const store = make();
      await store.flush();
      const transaction = vi.spyOn(FakeIDBDatabase.prototype, 'transaction');
      store.putMany([1, 2, 3, 4, 5].map((n): [string, Uint8Array] => [key(n), frame(n)]));
      store.putMany([[key(6), frame(6, 300)]]); // larger than a chunk: a chunk of its own
      await store.flush();
      expect(transaction.mock.calls.filter(([, mode]) => mode === 'readwrite')).toHaveLength(1);
      const { batches } = await dumpRaw(factory, dbName);
      expect(batches.map(([, b]) => b.sizes)).toEqual([[100, 100], [100, 100], [100], [300]]);
      transaction.mockClear();
      const reader = make();
      expect(await reader.getMany([6, 5, 4, 3, 2, 1].map((n) => key(n)))).toEqual([
        frame(6, 300),
        frame(5),
        frame(4),
        frame(3),
        frame(2),
        frame(1),
      ]);
      expect(transaction).toHaveBeenCalledTimes(2); // the index, then the chunks
      await checkInvariant(store, factory, dbName, 1024 * 1024);
    });

    it('hands out every frame as a whole buffer of its own (no copy needed by the engine)', async () => {
      const { make } = setup();
      const store = make();
      store.putMany([1, 2, 3].map((n): [string, Uint8Array] => [key(n), frame(n)]));
      await store.flush();
      for (const bytes of await make().getMany([key(2), key(3)])) {
        expect(bytes?.byteOffset).toBe(0);
        expect(bytes?.buffer.byteLength).toBe(100);
      }
    });

    it('a frame read while another getMany reads its chunk: both get it', async () => {
      const { make } = setup();
      const store = make();
      store.putMany(Array.from({ length: 10 }, (_, i): [string, Uint8Array] => [key(i + 1), frame(i + 1)]));
      await store.flush();
      const reader = make();
      const [a, b] = await Promise.all([reader.getMany([key(1), key(5)]), reader.getMany([key(5), key(10)])]);
      expect([a, b]).toEqual([
        [frame(1), frame(5)],
        [frame(5), frame(10)],
      ]);
    });
  });

  describe('clear()', () => {
    it('empties both object stores for every namespace and drops queued writes', async () => {
      const { make, factory, dbName } = setup();
      const alice = make({ namespace: 'alice' });
      const bob = make({ namespace: 'bob' });
      alice.putMany([[key(1), frame(1)]]);
      bob.putMany([[key(1), frame(1)]]);
      await alice.flush();
      await bob.flush();
      alice.putMany([[key(2), frame(2)]]);
      await alice.clear();
      await alice.flush();
      expect(await dumpRaw(factory, dbName)).toEqual({ frames: [], batches: [] });
      expect(alice.stats().storedBytes).toBe(0);
      expect(await bob.getMany([key(1)])).toEqual([undefined]);
      alice.putMany([[key(1), frame(1)]]);
      await alice.flush();
      expect(await alice.getMany([key(1)])).toEqual([frame(1)]);
    });

    it('a load that started before clear() does not bring the cleared index back', async () => {
      const { make, factory, dbName } = setup();
      const writer = make();
      writer.putMany([[key(1), frame(1)]]);
      await writer.flush();
      const db = await openRaw(factory, dbName);
      await rawSet(999, 'orphan', rawStore(db, 'frames')); // the load deletes it: a write after its snapshot
      db.close();
      const store = make();
      const read = store.getMany([key(2)]); // starts loading the index
      await store.clear();
      await read;
      expect(store.stats().storedBytes).toBe(0);
      expect(await store.getMany([key(1)])).toEqual([undefined]);
      expect(await dumpRaw(factory, dbName)).toEqual({ frames: [], batches: [] });
    });
  });

  describe('what is stored', () => {
    it('stores only frame bytes, sizes, times and namespaced keys: never a header value', async () => {
      const authorization = 'Bearer eyJhbGciOiJIUzI1NiJ9.secret-token-value';
      const headers = { Authorization: authorization };
      const { make, factory, dbName, logger, wall } = setup({ maxBytes: 250 });
      const store = make({ namespace: 'user-1' });
      store.putMany([
        [key(1), frame(1)],
        [key(2), frame(2)],
      ]);
      await store.flush();
      store.putMany([[key(3), frame(3)]]);
      vi.spyOn(FakeIDBObjectStore.prototype, 'put').mockImplementationOnce(() => {
        throw new DOMException('x', 'QuotaExceededError');
      });
      await store.flush();
      store.putMany([[key(4), frame(4)]]);
      await store.flush();
      const raw = await dumpRaw(factory, dbName);
      expect(raw.frames.length).toBeGreaterThan(0);
      for (const [, record] of raw.frames) {
        expect(Object.keys(record).sort()).toEqual(['n', 't', 'v']);
        expect(record.v.every((f) => f instanceof Uint8Array)).toBe(true);
        expect(record.t).toBe(wall.now);
      }
      for (const [, record] of raw.batches) {
        expect(Object.keys(record).sort()).toEqual(['keys', 'sizes', 't']);
        for (const k of record.keys) expect(k.startsWith(`6:user-1:${URL_A}#`)).toBe(true);
      }
      const text = (value: unknown): string =>
        JSON.stringify(value, (_, v: unknown) => (v instanceof Uint8Array ? String.fromCharCode(...v) : v));
      expect(text(raw)).not.toContain(headers.Authorization);
      expect(text(raw)).not.toContain('secret-token-value');
      expect(text(logger.records)).not.toContain('secret-token-value');
      expect(text(logger.records)).not.toContain(URL_A);
      expect(text(logger.records)).not.toContain('user-1');
    });
  });
});

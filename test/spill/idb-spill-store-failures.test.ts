import { IDBDatabase as FakeIDBDatabase, IDBObjectStore as FakeIDBObjectStore } from 'fake-indexeddb';
import { del as rawDel, set as rawSet } from 'idb-keyval';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdbSpillStore, OPEN_TIMEOUT_MS } from '../../src/spill/idb-spill-store.js';
import { URL_A, makeEngine } from '../helpers/engine.js';
import { FakeClock, recordingLogger } from '../helpers/fake-platform.js';
import {
  HOUR,
  checkInvariant,
  dumpRaw,
  frame,
  key,
  openRaw,
  rawStore,
  setup,
  storedFrame,
  type RawChunk,
} from './spill-test-db.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('IdbSpillStore', () => {
  describe('failures', () => {
    const quota = () => {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };

    it('on QuotaExceededError drops the batch, evicts the oldest, counts, logs and keeps going', async () => {
      const { make, logger, factory, dbName } = setup();
      const store = make();
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      const put = vi.spyOn(FakeIDBObjectStore.prototype, 'put').mockImplementation(quota);
      store.putMany([[key(2), frame(2)]]);
      await expect(store.flush()).resolves.toBeUndefined();
      expect(store.stats()).toEqual({ storedBytes: 0, errors: 1 });
      expect(await store.getMany([key(1), key(2)])).toEqual([undefined, undefined]);
      expect(logger.records.filter((r) => r.level === 'warn').map((r) => r.fields)).toEqual([
        {
          dbName,
          op: 'write',
          frames: 1,
          bytes: 100,
          error: 'QuotaExceededError',
          message: 'The quota has been exceeded.',
        },
      ]);
      put.mockRestore();
      store.putMany([[key(3), frame(3)]]);
      await store.flush();
      expect(await store.getMany([key(3)])).toEqual([frame(3)]);
      await checkInvariant(store, factory, dbName, 1024 * 1024);
    });

    it('leaves the memory path of the engine unaffected when every write fails', async () => {
      const { make } = setup();
      const spillStore = make();
      vi.spyOn(FakeIDBObjectStore.prototype, 'put').mockImplementation(quota);
      const { engine, source } = makeEngine({ spill: {}, spillStore, wholeInstanceMaxFrames: 0, framesPerMiss: 4 });
      const instance = { url: URL_A, frameCount: 8 };
      expect(await engine.getFrame(instance, 1)).toEqual(source.frameBytes(URL_A, 1));
      await engine.waitForLoads();
      expect(await engine.getFrame(instance, 2)).toEqual(source.frameBytes(URL_A, 2));
      const stats = await engine.stats();
      expect(stats).toMatchObject({ hits: 1, misses: 1, spillErrors: 1, spillStoredBytes: 0 });
    });

    it('a DataCloneError drops that batch and later batches are stored', async () => {
      const { make } = setup();
      const store = make();
      vi.spyOn(FakeIDBObjectStore.prototype, 'put').mockImplementationOnce(() => {
        throw new DOMException('could not be cloned', 'DataCloneError');
      });
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      store.putMany([[key(2), frame(2)]]);
      await store.flush();
      expect(await store.getMany([key(1), key(2)])).toEqual([undefined, frame(2)]);
      expect(store.stats()).toEqual({ storedBytes: 100, errors: 1 });
    });

    it('a transaction error inside getMany gives all undefined and counts one error', async () => {
      const { make } = setup();
      const store = make();
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      vi.spyOn(FakeIDBObjectStore.prototype, 'get').mockImplementation(() => {
        throw new DOMException('disk I/O', 'UnknownError');
      });
      expect(await store.getMany([key(1), key(2)])).toEqual([undefined, undefined]);
      expect(store.stats().errors).toBe(1);
    });

    it('without IndexedDB: memory only, no throw, one error and one log', async () => {
      vi.stubGlobal('indexedDB', undefined);
      const logger = recordingLogger();
      const store = new IdbSpillStore({ dbName: 'absent', namespace: '', maxBytes: 1000, maxAgeMs: HOUR, logger });
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      expect(await store.getMany([key(1), key(2)])).toEqual([undefined, undefined]);
      store.putMany([[key(3), frame(3)]]);
      await store.flush();
      await store.clear();
      expect(await store.getMany([key(3)])).toEqual([undefined]);
      expect(store.stats()).toEqual({ storedBytes: 0, errors: 1 });
      expect(logger.records).toEqual([
        {
          level: 'warn',
          message: 'spill: IndexedDB unavailable; frames stay in memory only',
          fields: { dbName: 'absent', reason: 'absent' },
        },
      ]);
    });

    it('an open that throws degrades once', async () => {
      const logger = recordingLogger();
      const factory = {
        open: () => {
          throw new DOMException('opaque origin', 'SecurityError');
        },
      } as unknown as IDBFactory;
      const store = new IdbSpillStore({
        dbName: 'x',
        namespace: '',
        maxBytes: 1000,
        maxAgeMs: HOUR,
        logger,
        indexedDB: factory,
      });
      expect(await store.getMany([key(1)])).toEqual([undefined]);
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      expect(store.stats().errors).toBe(1);
      expect(logger.records.map((r) => r.fields?.['error'])).toEqual(['SecurityError']);
    });

    it('an open that never answers gives up after OPEN_TIMEOUT_MS', async () => {
      const timers = new FakeClock();
      const factory = { open: () => new EventTarget() } as unknown as IDBFactory;
      const logger = recordingLogger();
      const store = new IdbSpillStore({
        dbName: 'x',
        namespace: '',
        maxBytes: 1000,
        maxAgeMs: HOUR,
        logger,
        indexedDB: factory,
        timers,
      });
      const read = store.getMany([key(1)]);
      timers.advance(OPEN_TIMEOUT_MS);
      expect(await read).toEqual([undefined]);
      expect(store.stats().errors).toBe(1);
      expect(logger.records[0]?.fields).toMatchObject({ reason: 'timeout' });
    });

    it('an upgrade blocked by another connection degrades once; without a blocker it upgrades', async () => {
      const { make, factory, dbName, logger } = setup();
      // A database of that name made by someone else (idb-keyval's default layout), still open.
      const foreign = await new Promise<IDBDatabase>((resolve) => {
        const request = factory.open(dbName);
        request.addEventListener('upgradeneeded', () => request.result.createObjectStore('keyval'));
        request.addEventListener('success', () => resolve(request.result));
      });
      const blocked = make();
      blocked.putMany([[key(1), frame(1)]]);
      await blocked.flush();
      expect(await blocked.getMany([key(1)])).toEqual([undefined]);
      expect(blocked.stats().errors).toBe(1);
      expect(logger.records.map((r) => r.fields?.['reason'])).toEqual(['blocked']);
      foreign.close();
      const store = make();
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      expect(await store.getMany([key(1)])).toEqual([frame(1)]);
      expect(store.stats().errors).toBe(0);
    });

    it('reopens after another tab deleted the database, without an error', async () => {
      const { make, factory, dbName } = setup();
      const store = make();
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      await new Promise<void>((resolve, reject) => {
        const request = factory.deleteDatabase(dbName);
        request.addEventListener('success', () => resolve());
        request.addEventListener('error', () => reject(request.error));
      });
      expect(await store.getMany([key(1)])).toEqual([undefined]);
      store.putMany([[key(2), frame(2)]]);
      await store.flush();
      expect(await store.getMany([key(2)])).toEqual([frame(2)]);
      expect(store.stats()).toEqual({ storedBytes: 100, errors: 0 });
    });

    it('retries once on InvalidStateError; failing again, goes memory only', async () => {
      const { make, logger } = setup();
      const store = make();
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      const invalid = () => {
        throw new DOMException('The database connection is closing.', 'InvalidStateError');
      };
      const transaction = vi.spyOn(FakeIDBDatabase.prototype, 'transaction').mockImplementationOnce(invalid);
      expect(await store.getMany([key(1)])).toEqual([frame(1)]);
      expect(store.stats().errors).toBe(0);
      transaction.mockImplementation(invalid);
      expect(await store.getMany([key(1)])).toEqual([undefined]);
      expect(store.stats().errors).toBe(1);
      expect(logger.records.map((r) => r.fields?.['reason'])).toEqual(['closed']);
      transaction.mockRestore();
      store.putMany([[key(2), frame(2)]]);
      await store.flush();
      expect(await store.getMany([key(1), key(2)])).toEqual([undefined, undefined]);
      expect(store.stats().errors).toBe(1);
    });
  });

  describe('damaged chunks', () => {
    const damages: [string, (chunk: RawChunk) => unknown][] = [
      ['a frame truncated, length kept', (c) => ({ ...c, v: [c.v[0]!.slice(0, 60), ...c.v.slice(1)] })],
      ['not a record', () => 'not a chunk record'],
      ['bytes of the wrong type', (c) => ({ ...c, v: 12345 })],
      ['a frame missing', (c) => ({ ...c, v: c.v.slice(1) })],
      ['a total that is not the sum', (c) => ({ ...c, n: c.n + 1 })],
      ['no length and no time', (c) => ({ v: c.v })],
      ['a frame not bytes', (c) => ({ ...c, v: ['x', ...c.v.slice(1)] })],
    ];

    it.each(damages)('%s: refused whole, deleted, counted once, its frames written again', async (_name, damage) => {
      const { make, factory, dbName, logger } = setup();
      const store = make();
      store.putMany([1, 2].map((n): [string, Uint8Array] => [key(n), frame(n)]));
      await store.flush();
      store.putMany([[key(3), frame(3)]]);
      await store.flush();
      const db = await openRaw(factory, dbName);
      const [[id, chunk]] = (await dumpRaw(factory, dbName)).frames as [[number, RawChunk]];
      await rawSet(id, damage(chunk), rawStore(db, 'frames'));
      db.close();
      expect(await store.getMany([key(1), key(2), key(3)])).toEqual([undefined, undefined, frame(3)]);
      expect(store.stats().errors).toBe(1);
      await store.flush();
      expect(store.stats().storedBytes).toBe(100);
      expect((await dumpRaw(factory, dbName)).batches.map(([, b]) => b.keys)).toEqual([[`0::${key(3)}`]]);
      const warnings = logger.records.filter((r) => r.level === 'warn');
      expect(warnings.map((r) => r.fields)).toEqual([{ dbName, batches: 1, frames: 2 }]);
      store.putMany([1, 2].map((n): [string, Uint8Array] => [key(n), frame(n)]));
      await store.flush();
      expect(await make().getMany([key(1), key(2), key(3)])).toEqual([frame(1), frame(2), frame(3)]);
      await checkInvariant(store, factory, dbName, 1024 * 1024);
    });

    it('a chunk gone (deleted by someone else) is a miss, not an error, and its frames are written again', async () => {
      const { make, factory, dbName } = setup();
      const store = make();
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      const db = await openRaw(factory, dbName);
      await rawDel((await dumpRaw(factory, dbName)).frames[0]![0], rawStore(db, 'frames'));
      db.close();
      expect(await store.getMany([key(1)])).toEqual([undefined]);
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      expect(store.stats()).toEqual({ storedBytes: 100, errors: 0 });
      expect(await storedFrame(factory, dbName, `0::${key(1)}`)).toEqual(frame(1));
      await checkInvariant(store, factory, dbName, 1024 * 1024);
    });

    it('drops a batch record of the wrong shape at load and counts it', async () => {
      const { make, factory, dbName } = setup();
      const store = make();
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      store.close();
      const db = await openRaw(factory, dbName);
      const [[id]] = (await dumpRaw(factory, dbName)).batches as [[number, unknown]];
      await rawSet(id, { t: 'yesterday', keys: 'x' }, rawStore(db, 'batches'));
      db.close();
      const reloaded = make();
      await reloaded.flush();
      expect(reloaded.stats()).toEqual({ storedBytes: 0, errors: 1 });
      const raw = await dumpRaw(factory, dbName);
      expect(raw).toEqual({ frames: [], batches: [] });
    });
  });
});

// Stores on the same database: other tabs (announcements, catching up, the shared byte bound) and
// reloads (a new store finds what an earlier one stored).
import { IDBDatabase as FakeIDBDatabase } from 'fake-indexeddb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FRESHNESS_POLL_MS } from '../../src/spill/idb-spill-store.js';
import { broadcastChannelFactory } from '../../src/spill/spill-channel.js';
import { URL_A, URL_B } from '../helpers/engine.js';
import { del as rawDel, set as rawSet } from 'idb-keyval';
import { checkInvariant, dumpRaw, frame, key, openRaw, rawStore, setup } from './spill-test-db.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe('IdbSpillStore', () => {
  describe('two tabs', () => {
    it('sees a batch another tab removed (clear) and stops counting it', async () => {
      const { make } = setup({ maxBytes: 300 });
      const tabA = make();
      const tabB = make();
      tabA.putMany([[key(1), frame(1, 200)]]);
      await tabA.flush();
      await tabB.flush();
      expect(tabB.stats().storedBytes).toBe(200);
      await tabA.clear();
      tabB.putMany([[key(2), frame(2)]]);
      await tabB.flush();
      expect(tabB.stats().storedBytes).toBe(100);
      expect(await tabA.getMany([key(2)])).toEqual([frame(2)]);
    });

    it('does not write a frame another tab stored since (its index catches up before each write)', async () => {
      const { make, factory, dbName } = setup();
      const tabA = make();
      const tabB = make();
      await tabA.flush();
      await tabB.flush();
      tabA.putMany([[key(1), frame(1)]]);
      tabB.putMany([[key(1), frame(1)]]);
      await tabA.flush();
      await tabB.flush();
      expect(tabB.stats().storedBytes).toBe(100);
      expect((await dumpRaw(factory, dbName)).batches).toHaveLength(1);
      await checkInvariant(tabB, factory, dbName, 1024 * 1024);
    });

    it('two tabs writing the same frame at once: both copies count, the older goes at the next write', async () => {
      const { make, factory, dbName } = setup();
      const tabA = make();
      const tabB = make();
      await tabA.flush();
      await tabB.flush();
      tabA.putMany([[key(1), frame(1)]]);
      tabB.putMany([[key(1), frame(1)]]);
      await Promise.all([tabA.flush(), tabB.flush()]);
      expect((await dumpRaw(factory, dbName)).batches).toHaveLength(2);
      tabA.putMany([[key(2), frame(2)]]);
      await tabA.flush();
      const { batches } = await dumpRaw(factory, dbName);
      expect(batches.map(([, b]) => b.keys)).toEqual([[`0::${key(1)}`], [`0::${key(2)}`]]);
      expect(await tabA.getMany([key(1), key(2)])).toEqual([frame(1), frame(2)]);
      await checkInvariant(tabA, factory, dbName, 1024 * 1024);
    });
  });

  describe('freshness across tabs', () => {
    it('answers keys its index does not know without a transaction', async () => {
      const { make } = setup();
      const store = make();
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      const transaction = vi.spyOn(FakeIDBDatabase.prototype, 'transaction');
      expect(await store.getMany([key(2), key(3, URL_B)])).toEqual([undefined, undefined]);
      expect(transaction).not.toHaveBeenCalled();
    });

    it('after another tab announced a write, catches up once, then serves the new frames', async () => {
      const { make, hub, dbName } = setup();
      const reader = make();
      const writer = make();
      await reader.flush();
      writer.putMany([[key(1), frame(1)]]);
      await writer.flush();
      expect(hub.sent).toEqual([`dicomweb-frame-cache:spill:${dbName}`]);
      const transaction = vi.spyOn(FakeIDBDatabase.prototype, 'transaction');
      expect(await reader.getMany([key(1), key(2)])).toEqual([frame(1), undefined]);
      expect(transaction.mock.calls.map(([scope]) => scope)).toEqual(['batches', 'frames']);
      transaction.mockClear();
      expect(await reader.getMany([key(2)])).toEqual([undefined]);
      expect(transaction).not.toHaveBeenCalled();
    });

    it('without a channel, checks the database for unknown keys at most every FRESHNESS_POLL_MS', async () => {
      const { make, wall } = setup({ channel: null });
      const reader = make();
      const writer = make();
      await reader.flush();
      writer.putMany([[key(1), frame(1)]]);
      await writer.flush();
      const transaction = vi.spyOn(FakeIDBDatabase.prototype, 'transaction');
      expect(await reader.getMany([key(1)])).toEqual([undefined]);
      expect(transaction).not.toHaveBeenCalled();
      wall.now += FRESHNESS_POLL_MS;
      expect(await reader.getMany([key(1)])).toEqual([frame(1)]);
      wall.now -= 1; // a clock that went back counts as stale too
      transaction.mockClear();
      expect(await reader.getMany([key(2)])).toEqual([undefined]);
      expect(transaction).toHaveBeenCalledTimes(1);
    });

    it('uses the global BroadcastChannel by default, named after the database, and closes it', async () => {
      const opened: { name: string; posted: unknown[]; closed: boolean }[] = [];
      class RecordingChannel extends EventTarget {
        readonly record: { name: string; posted: unknown[]; closed: boolean };
        constructor(name: string) {
          super();
          this.record = { name, posted: [], closed: false };
          opened.push(this.record);
        }
        postMessage(data: unknown): void {
          this.record.posted.push(data);
        }
        close(): void {
          this.record.closed = true;
        }
      }
      vi.stubGlobal('BroadcastChannel', RecordingChannel);
      const { make, dbName } = setup();
      const store = make({ channel: undefined });
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      expect(opened).toEqual([
        { name: `dicomweb-frame-cache:spill:${dbName}`, posted: ['spill-changed'], closed: false },
      ]);
      expect(JSON.stringify(opened)).not.toContain(URL_A);
      store.close();
      await store.flush();
      expect(opened[0]!.closed).toBe(true);
    });

    it('broadcastChannelFactory(): the other ends on the same name hear an announcement', async () => {
      const factory = broadcastChannelFactory();
      expect(factory).toBeDefined();
      const name = `spill-channel-test-${Math.random()}`;
      let heardByOther: () => void = () => undefined;
      const other = new Promise<void>((resolve) => (heardByOther = resolve));
      const a = factory!(name, () => undefined);
      const b = factory!(name, heardByOther);
      const unrelated = factory!(`${name}-x`, () => expect.unreachable('another database heard it'));
      a.announce();
      await other;
      a.close();
      b.close();
      unrelated.close();
      expect(() => a.announce()).not.toThrow();
    });

    it('closes its channel on close()', async () => {
      const { make, hub, dbName } = setup();
      const store = make();
      await store.flush();
      expect(hub.listeners(`dicomweb-frame-cache:spill:${dbName}`)).toBe(1);
      store.close();
      await store.flush();
      expect(hub.listeners(`dicomweb-frame-cache:spill:${dbName}`)).toBe(0);
    });
  });

  describe('reload', () => {
    it('with preloadIndex (the default), opens the database and loads the index when constructed', async () => {
      const { make, factory } = setup();
      const first = make();
      first.putMany([[key(1), frame(1)]]);
      await first.flush();
      first.close();
      const open = vi.spyOn(factory, 'open');
      const lazy = make();
      expect(open).not.toHaveBeenCalled();
      const eager = make({ preloadIndex: true });
      expect(open).toHaveBeenCalledTimes(1);
      await eager.flush(); // waits for the preload (shared), loads nothing twice
      expect(eager.stats().storedBytes).toBe(100);
      const transaction = vi.spyOn(FakeIDBDatabase.prototype, 'transaction');
      expect(await eager.getMany([key(1), key(2)])).toEqual([frame(1), undefined]);
      expect(transaction).toHaveBeenCalledTimes(1); // the chunk only
      expect(await lazy.getMany([key(1)])).toEqual([frame(1)]);
    });

    it('a new store on the same database sees earlier frames and storedBytes', async () => {
      const { make, factory, dbName } = setup();
      const first = make();
      first.putMany([
        [key(1), frame(1)],
        [key(2, URL_B), frame(2, 30)],
      ]);
      await first.flush();
      first.close();
      const reloaded = make();
      expect(await reloaded.getMany([key(1), key(2, URL_B)])).toEqual([frame(1), frame(2, 30)]);
      await reloaded.flush();
      expect(reloaded.stats()).toEqual({ storedBytes: 130, errors: 0 });
      reloaded.putMany([[key(3), frame(3)]]);
      await reloaded.flush();
      expect(reloaded.stats().storedBytes).toBe(230);
      await checkInvariant(reloaded, factory, dbName, 1024 * 1024);
    });

    it('deletes chunks that no batch record names, and batch records without a chunk, when it loads', async () => {
      const { make, factory, dbName } = setup();
      const store = make();
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      store.putMany([[key(2), frame(2)]]);
      await store.flush();
      store.close();
      const db = await openRaw(factory, dbName);
      const [[, second]] = (await dumpRaw(factory, dbName)).frames.slice(1) as [[number, unknown]];
      await rawSet(999, second, rawStore(db, 'frames'));
      await rawSet(`0::${key(3)}`, { v: frame(3), n: 100, t: 1 }, rawStore(db, 'frames')); // the older per-frame layout
      const [firstId] = (await dumpRaw(factory, dbName)).frames[0]!;
      await rawDel(firstId, rawStore(db, 'frames'));
      db.close();
      const reloaded = make();
      await reloaded.flush();
      const raw = await dumpRaw(factory, dbName);
      expect(raw.batches.map(([, b]) => b.keys)).toEqual([[`0::${key(2)}`]]);
      expect(raw.frames.map(([id]) => id)).toEqual(raw.batches.map(([id]) => id));
      expect(await reloaded.getMany([key(1), key(2), key(3)])).toEqual([undefined, frame(2), undefined]);
      expect(reloaded.stats()).toEqual({ storedBytes: 100, errors: 0 });
      reloaded.putMany([[key(1), frame(1)]]); // no longer taken for stored
      await reloaded.flush();
      expect(await make().getMany([key(1)])).toEqual([frame(1)]);
    });
  });
});

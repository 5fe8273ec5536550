// A corrupted or truncated record of the IndexedDB tier is refused (counted) and its frame,
// fetched again, is stored anew, in the same session and in the next one. Before the fix the
// batch record still listed the key, so the tier took the frame as stored and never wrote it
// again: every later session refetched it from the network while the batch lived.
import { set as rawSet } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { checkInvariant, dumpRaw, frame, key, openRaw, rawStore, setup } from '../spill/spill-test-db.js';
import { spillKey } from '../../src/spill/idb-spill-store.js';

async function damage(factory: IDBFactory, dbName: string, storedKey: string, value: unknown): Promise<void> {
  const db = await openRaw(factory, dbName);
  try {
    await rawSet(storedKey, value, rawStore(db, 'frames'));
  } finally {
    db.close();
  }
}

describe('IdbSpillStore', () => {
  describe('getMany() on damaged records', () => {
    it.each([
      ['truncated bytes', (f: Uint8Array, t: number) => ({ v: f.slice(0, 10), n: f.length, t })],
      ['not a record', () => 'garbage'],
    ])('%s: refused and counted, then the frame written again is served by the next session', async (_name, broken) => {
      const { make, factory, dbName, wall } = setup();
      const first = make();
      first.putMany([1, 2, 3].map((n): [string, Uint8Array] => [key(n), frame(n)]));
      await first.flush();
      await damage(factory, dbName, spillKey('', key(2)), broken(frame(2), wall.now));

      // Next session: the damaged frame is refused, fetched again (by the engine) and put back.
      const second = make();
      expect(await second.getMany([key(1), key(2), key(3)])).toEqual([frame(1), undefined, frame(3)]);
      expect(second.stats().errors).toBe(1);
      second.putMany([[key(2), frame(2)]]);
      await second.flush();
      expect((await dumpRaw(factory, dbName)).frames.find(([k]) => k === spillKey('', key(2)))?.[1].v).toEqual(frame(2));

      // The session after: every frame from the tier.
      const third = make();
      expect(await third.getMany([key(1), key(2), key(3)])).toEqual([frame(1), frame(2), frame(3)]);
      expect(third.stats().errors).toBe(0);
      await checkInvariant(third, factory, dbName, 1024 * 1024);
    });

    it('in the same session, with the index already loaded, the damaged frame is stored again', async () => {
      const { make, factory, dbName, wall } = setup();
      const store = make();
      store.putMany([1, 2].map((n): [string, Uint8Array] => [key(n), frame(n)]));
      await store.flush();
      await damage(factory, dbName, spillKey('', key(1)), { v: frame(1).slice(0, 5), n: 100, t: wall.now });
      expect(await store.getMany([key(1), key(2)])).toEqual([undefined, frame(2)]);
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      expect(await make().getMany([key(1), key(2)])).toEqual([frame(1), frame(2)]);
    });
  });
});

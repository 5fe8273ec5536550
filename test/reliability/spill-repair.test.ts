// A corrupted or truncated chunk record of the IndexedDB tier is refused (counted) and its
// frames, fetched again, are stored anew, in the same session and in the next one. Before the
// fix the batch record still listed the keys, so the tier took the frames as stored and never
// wrote them again: every later session refetched them from the network while the batch lived.
import { set as rawSet } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import {
  checkInvariant,
  dumpRaw,
  frame,
  key,
  openRaw,
  rawStore,
  setup,
  storedFrame,
  type RawChunk,
} from '../spill/spill-test-db.js';
import { spillKey, type IdbSpillStore } from '../../src/spill/idb-spill-store.js';

/** Rewrites the chunk record that holds `storedKey` with what `broken` makes of it. */
async function damage(
  factory: IDBFactory,
  dbName: string,
  storedKey: string,
  broken: (chunk: RawChunk) => unknown,
): Promise<void> {
  const { frames, batches } = await dumpRaw(factory, dbName);
  const [id] = batches.find(([, b]) => b.keys.includes(storedKey))!;
  const [, chunk] = frames.find(([chunkId]) => chunkId === id)!;
  const db = await openRaw(factory, dbName);
  try {
    await rawSet(id, broken(chunk), rawStore(db, 'frames'));
  } finally {
    db.close();
  }
}

/** Frames 1, 2 and 3, each written in a batch (a chunk) of its own. */
async function storeThree(store: IdbSpillStore): Promise<void> {
  for (const n of [1, 2, 3]) {
    store.putMany([[key(n), frame(n)]]);
    await store.flush();
  }
}

describe('IdbSpillStore', () => {
  describe('getMany() on damaged chunk records', () => {
    it.each([
      ['truncated bytes', (c: RawChunk) => ({ ...c, v: [c.v[0]!.slice(0, 10)] })],
      ['not a record', () => 'garbage'],
    ])('%s: refused and counted, then the frame written again is served by the next session', async (_name, broken) => {
      const { make, factory, dbName } = setup();
      const first = make();
      await storeThree(first);
      await damage(factory, dbName, spillKey('', key(2)), broken);

      // Next session: the damaged frame is refused, fetched again (by the engine) and put back.
      const second = make();
      expect(await second.getMany([key(1), key(2), key(3)])).toEqual([frame(1), undefined, frame(3)]);
      expect(second.stats().errors).toBe(1);
      second.putMany([[key(2), frame(2)]]);
      await second.flush();
      expect(await storedFrame(factory, dbName, spillKey('', key(2)))).toEqual(frame(2));

      // The session after: every frame from the tier.
      const third = make();
      expect(await third.getMany([key(1), key(2), key(3)])).toEqual([frame(1), frame(2), frame(3)]);
      expect(third.stats().errors).toBe(0);
      await checkInvariant(third, factory, dbName, 1024 * 1024);
    });

    it('in the same session, with the index already loaded, the damaged frame is stored again', async () => {
      const { make, factory, dbName } = setup();
      const store = make();
      await storeThree(store);
      await damage(factory, dbName, spillKey('', key(1)), (c) => ({ ...c, v: [c.v[0]!.slice(0, 5)] }));
      expect(await store.getMany([key(1), key(2)])).toEqual([undefined, frame(2)]);
      store.putMany([[key(1), frame(1)]]);
      await store.flush();
      expect(await make().getMany([key(1), key(2)])).toEqual([frame(1), frame(2)]);
      await checkInvariant(store, factory, dbName, 1024 * 1024);
    });
  });
});

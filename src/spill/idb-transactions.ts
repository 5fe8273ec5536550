/**
 * The IndexedDB transactions of the tier: writing batches (a batch record and its chunk, in
 * one transaction with the deletions that make room), reading chunks, loading the in-memory
 * SpillIndex from the `batches` store or bringing it up to date with other tabs' changes, and
 * clearing. Each is one transaction.
 */
import { promisifyRequest } from 'idb-keyval';
import { BATCHES_STORE, FRAMES_STORE, transactionDone } from './idb-database.js';
import type { NewBatch } from './idb-records.js';
import { isBatchRecord, SpillIndex } from './spill-index.js';

function abortQuietly(tx: IDBTransaction): void {
  try {
    tx.abort();
  } catch {
    // already finished
  }
}

/**
 * One transaction: deletes the records with the keys in `remove` from both stores, then adds
 * each batch record and, once its id is known, its chunk under the same id. Resolves with the
 * new ids in the order of `add`; a failure (DataCloneError, QuotaExceededError...) keeps nothing.
 */
export async function writeTransaction(
  db: IDBDatabase,
  remove: readonly IDBValidKey[],
  add: readonly NewBatch[] = [],
  bound?: { maxBytes: number; evicted: number[] },
): Promise<number[]> {
  const tx = db.transaction([FRAMES_STORE, BATCHES_STORE], 'readwrite');
  const done = transactionDone(tx);
  const ids: number[] = [];
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown): void => {
    failure ??= { error };
    abortQuietly(tx);
  };
  try {
    const frames = tx.objectStore(FRAMES_STORE);
    const batches = tx.objectStore(BATCHES_STORE);
    for (const key of remove) {
      frames.delete(key);
      batches.delete(key);
    }
    for (const { record, chunk } of add) {
      const request = batches.add(record);
      request.addEventListener('success', () => {
        try {
          // put() throws DataCloneError (and others) synchronously: then nothing is kept.
          frames.put(chunk, request.result);
          ids.push(request.result as number);
        } catch (error) {
          fail(error);
        }
      });
    }
    if (bound !== undefined) enforceBound(batches, bound, ids, fail);
  } catch (error) {
    fail(error);
  }
  try {
    await done;
  } catch (error) {
    throw failure === undefined ? error : failure.error;
  }
  if (failure !== undefined) throw failure.error;
  return ids;
}

/** The chunk records of `ids`, in one readonly transaction (undefined where none is stored). */
export function readChunks(db: IDBDatabase, ids: readonly number[]): Promise<unknown[]> {
  const store = db.transaction(FRAMES_STORE, 'readonly').objectStore(FRAMES_STORE);
  return Promise.all(ids.map((id) => promisifyRequest<unknown>(store.get(id))));
}

/** What loading the index found, for the store to delete (from both stores) and to report. */
export interface IndexLoad {
  index: SpillIndex;
  /** Keys to delete: expired or misshapen batch records, ones without a chunk, orphan chunks. */
  remove: IDBValidKey[];
  badRecords: number;
  expiredBatches: number;
  /** Batch records whose chunk is gone (deleted as corrupt): their keys are not stored. */
  missingChunks: number;
  /** `frames` records no batch record names (a crash elsewhere, an older layout). */
  orphanChunks: number;
}

/**
 * Builds the index from the `batches` store, with the keys of the `frames` store, in one
 * snapshot; lists for deletion the expired batches, the records of the wrong shape, batches
 * whose chunk is gone and chunks no batch names, so that none of them accumulate.
 */
export async function loadIndex(db: IDBDatabase, now: number, maxAgeMs: number): Promise<IndexLoad> {
  const tx = db.transaction([FRAMES_STORE, BATCHES_STORE], 'readonly');
  const batches = tx.objectStore(BATCHES_STORE);
  const [ids, records, chunkKeys] = await Promise.all([
    promisifyRequest(batches.getAllKeys()),
    promisifyRequest(batches.getAll()),
    promisifyRequest(tx.objectStore(FRAMES_STORE).getAllKeys()),
  ]);
  const index = new SpillIndex();
  const chunks = new Set(chunkKeys);
  const remove: IDBValidKey[] = [];
  let badRecords = 0;
  let missingChunks = 0;
  ids.forEach((id, i) => {
    const record: unknown = records[i];
    if (typeof id !== 'number' || !isBatchRecord(record)) {
      badRecords++;
      remove.push(id);
    } else if (!chunks.has(id)) {
      missingChunks++;
      remove.push(id);
    } else index.add(id, record);
  });
  const expired = index.expired(now, maxAgeMs, false);
  for (const id of expired) {
    index.remove(id);
    remove.push(id);
  }
  const named = new Set<IDBValidKey>(ids);
  const orphans = chunkKeys.filter((key) => !named.has(key));
  remove.push(...orphans);
  return { index, remove, badRecords, expiredBatches: expired.length, missingChunks, orphanChunks: orphans.length };
}

/**
 * Brings `index` up to date with the batch records other tabs added or removed, in one
 * readonly transaction on the small `batches` store: all ids, and the records of the ones the
 * index does not know. Returns how many batches were added and removed.
 */
export async function syncIndex(db: IDBDatabase, index: SpillIndex): Promise<{ added: number; removed: number }> {
  const version = index.version;
  const tx = db.transaction(BATCHES_STORE, 'readonly');
  const done = transactionDone(tx);
  const store = tx.objectStore(BATCHES_STORE);
  const found: [number, unknown][] = [];
  const present = new Set<number>();
  const keys = store.getAllKeys();
  keys.addEventListener('success', () => {
    for (const id of keys.result) {
      if (typeof id !== 'number') continue;
      present.add(id);
      if (index.knows(id)) continue;
      const request = store.get(id);
      request.addEventListener('success', () => found.push([id, request.result]));
    }
  });
  await done;
  let added = 0;
  for (const [id, record] of found.sort((a, b) => a[0] - b[0]))
    if (isBatchRecord(record) && index.add(id, record)) added++;
  const removed = index.retainOnly(present, version).length;
  return { added, removed };
}

/** Empties both stores in one transaction. */
export async function clearTransaction(db: IDBDatabase): Promise<void> {
  const tx = db.transaction([FRAMES_STORE, BATCHES_STORE], 'readwrite');
  const done = transactionDone(tx);
  tx.objectStore(FRAMES_STORE).clear();
  tx.objectStore(BATCHES_STORE).clear();
  await done;
}

/**
 * Within the write's own transaction: sums the batch records now stored (the ones just added
 * included) and deletes the oldest others until the sum is within `maxBytes`. Readwrite
 * transactions on a store run one at a time across every tab and worker, so two tabs writing
 * at once cannot both overshoot the shared bound, which a bound planned from an index read in
 * an earlier transaction could (seen in test/browser/idb-multitab.test.ts).
 */
function enforceBound(
  batches: IDBObjectStore,
  bound: { maxBytes: number; evicted: number[] },
  added: readonly number[],
  fail: (error: unknown) => void,
): void {
  const frames = batches.transaction.objectStore(FRAMES_STORE);
  const stored: [id: number, bytes: number][] = [];
  const cursor = batches.openCursor();
  cursor.addEventListener('success', () => {
    try {
      const at = cursor.result;
      if (at !== null) {
        const sizes = (at.value as { sizes?: unknown }).sizes;
        const bytes = Array.isArray(sizes)
          ? sizes.reduce((sum: number, n: unknown) => sum + (typeof n === 'number' ? n : 0), 0)
          : 0;
        stored.push([at.key as number, bytes]);
        at.continue();
        return;
      }
      let total = stored.reduce((sum, [, bytes]) => sum + bytes, 0);
      const fresh = new Set(added);
      // Keys are auto-incremented: oldest first.
      for (const [id, bytes] of stored) {
        if (total <= bound.maxBytes) break;
        if (fresh.has(id)) continue;
        frames.delete(id);
        batches.delete(id);
        bound.evicted.push(id);
        total -= bytes;
      }
    } catch (error) {
      fail(error);
    }
  });
}

/**
 * What the IndexedDB tier stores and the transactions that change it: the frame record and its
 * check on read, the namespaced key, one-transaction batch writes and deletions, and loading
 * or resynchronising the in-memory SpillIndex from the `batches` store.
 */
import { getMany as getRecords, keys as recordKeys, promisifyRequest, type UseStore } from 'idb-keyval';
import type { LogFields } from '../core/ports.js';
import { BATCHES_STORE, FRAMES_STORE, transactionDone } from './idb-database.js';
import { isBatchRecord, type BatchRecord, type SpillIndex } from './spill-index.js';

/** A `frames` record: the bytes, their length (checked on read), and when they were stored. */
export interface StoredFrame {
  v: Uint8Array;
  n: number;
  t: number;
}

/** The stored key: the namespace's length makes the prefix unambiguous ('a'+'bc' vs 'ab'+'c'). */
export function spillKey(namespace: string, key: string): string {
  return `${namespace.length}:${namespace}:${key}`;
}

export function errorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string') {
    return (error as { name: string }).name;
  }
  return typeof error;
}

export function errorFields(error: unknown): LogFields {
  const message = typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  return { error: errorName(error), ...(typeof message === 'string' ? { message } : {}) };
}

/** The frame's bytes, or why not: a wrong shape or length is corrupt, an old one expired. */
export function checkStoredFrame(value: unknown, now: number, maxAgeMs: number): Uint8Array | 'expired' | 'corrupt' {
  if (typeof value !== 'object' || value === null) return 'corrupt';
  const { v, n, t } = value as { v?: unknown; n?: unknown; t?: unknown };
  const bytes = v instanceof Uint8Array ? v : v instanceof ArrayBuffer ? new Uint8Array(v) : undefined;
  if (bytes === undefined || typeof n !== 'number' || typeof t !== 'number' || !Number.isFinite(t)) return 'corrupt';
  if (bytes.byteLength !== n) return 'corrupt';
  const age = now - t;
  return age >= maxAgeMs || age <= -maxAgeMs ? 'expired' : bytes;
}

/** An idb-keyval UseStore over an open connection (its createStore reads the global indexedDB). */
export function useStore(db: IDBDatabase, storeName: string): UseStore {
  return <T>(txMode: IDBTransactionMode, callback: (store: IDBObjectStore) => T | PromiseLike<T>): Promise<T> => {
    try {
      return Promise.resolve(callback(db.transaction(storeName, txMode).objectStore(storeName)));
    } catch (error) {
      return Promise.reject(error);
    }
  };
}

/** One transaction: delete whole batches (frames, records), then store frames and their record. */
export async function writeTransaction(
  db: IDBDatabase,
  remove: { frameKeys: IDBValidKey[]; batchIds: IDBValidKey[] },
  add?: { frames: [string, StoredFrame][]; record: BatchRecord },
): Promise<number | undefined> {
  const tx = db.transaction([FRAMES_STORE, BATCHES_STORE], 'readwrite');
  const done = transactionDone(tx);
  let request: IDBRequest<IDBValidKey> | undefined;
  try {
    const frames = tx.objectStore(FRAMES_STORE);
    const batches = tx.objectStore(BATCHES_STORE);
    for (const key of remove.frameKeys) frames.delete(key);
    for (const id of remove.batchIds) batches.delete(id);
    if (add !== undefined) {
      for (const [key, value] of add.frames) frames.put(value, key);
      request = batches.add(add.record);
    }
  } catch (error) {
    // put() throws DataCloneError (and others) synchronously: nothing of this batch is kept.
    done.catch(() => undefined);
    try {
      tx.abort();
    } catch {
      // already finished
    }
    throw error;
  }
  await done;
  return request?.result as number | undefined;
}

/** What loading the index found and removed. */
export interface IndexLoadResult {
  badRecords: number;
  expiredBatches: number;
  orphanFrames: number;
  /** Keys a batch lists whose frame record is gone (deleted as corrupt): not stored, so written again. */
  missingFrames: number;
}

/**
 * Fills `index` from the `batches` store, with the frame keys, in one snapshot; then deletes
 * expired batches, records of the wrong shape, and frames that no record names (left by a
 * crash of another implementation, or whose record was corrupt: they never accumulate).
 */
export async function loadIndex(db: IDBDatabase, index: SpillIndex, now: number, maxAgeMs: number): Promise<IndexLoadResult> {
  index.reset();
  const tx = db.transaction([FRAMES_STORE, BATCHES_STORE], 'readonly');
  const batches = tx.objectStore(BATCHES_STORE);
  const [ids, records, frameKeys] = await Promise.all([
    promisifyRequest(batches.getAllKeys()),
    promisifyRequest(batches.getAll()),
    promisifyRequest(tx.objectStore(FRAMES_STORE).getAllKeys()),
  ]);
  const bad: IDBValidKey[] = [];
  ids.forEach((id, i) => {
    const record: unknown = records[i];
    if (typeof id === 'number' && isBatchRecord(record)) index.add(id, record);
    else bad.push(id);
  });
  // A frame refused as corrupt is deleted while its batch record still lists it: without this,
  // the index would take it for stored and the frame would never be written again.
  const present = new Set(frameKeys);
  let missingFrames = 0;
  for (const record of records) {
    if (!isBatchRecord(record)) continue;
    for (const key of record.keys) {
      if (present.has(key) || !index.has(key)) continue;
      index.removeKey(key);
      missingFrames++;
    }
  }
  const expired = index.expired(now, maxAgeMs, false);
  const orphans = frameKeys.filter((key) => typeof key !== 'string' || !index.has(key));
  if (bad.length > 0 || expired.length > 0 || orphans.length > 0) {
    await writeTransaction(db, { frameKeys: [...index.ownedKeys(expired), ...orphans], batchIds: [...expired, ...bad] });
    for (const id of expired) index.remove(id);
  }
  return { badRecords: bad.length, expiredBatches: expired.length, orphanFrames: orphans.length, missingFrames };
}

/** Batch ids above `above`, from a reverse key cursor (IDBKeyRange is not a global in every realm). */
function idsAbove(store: IDBObjectStore, above: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const ids: number[] = [];
    const request = store.openKeyCursor(null, 'prev');
    request.addEventListener('success', () => {
      const cursor = request.result;
      if (cursor === null) return resolve(ids);
      // Non-number keys sort above numbers: skip them; numbers come in descending order.
      if (typeof cursor.key === 'number') {
        if (cursor.key <= above) return resolve(ids);
        ids.push(cursor.key);
      }
      cursor.continue();
    });
    request.addEventListener('error', () => reject(request.error));
  });
}

/**
 * Brings `index` up to date with batch records other tabs added or removed since it loaded.
 * Cheap in the usual case (one readonly transaction: a count and the ids above the newest one
 * known); the full list of ids is read only when a record disappeared (an eviction or clear
 * elsewhere).
 */
export async function syncIndex(db: IDBDatabase, index: SpillIndex): Promise<void> {
  const batches = useStore(db, BATCHES_STORE);
  const [count, newer] = await batches('readonly', (store) =>
    Promise.all([promisifyRequest(store.count()), idsAbove(store, index.maxId ?? -Infinity)]),
  );
  const unknown = newer.filter((id) => !index.hasBatch(id)).toReversed();
  if (unknown.length > 0) {
    const records = await getRecords<unknown>(unknown, batches);
    records.forEach((record, i) => {
      if (isBatchRecord(record)) index.add(unknown[i]!, record);
    });
  }
  if (count === index.batchCount) return;
  const present = new Set(await recordKeys<IDBValidKey>(batches));
  for (const id of index.batchIds()) if (!present.has(id)) index.remove(id);
}

/** Empties both stores in one transaction. */
export async function clearTransaction(db: IDBDatabase): Promise<void> {
  const tx = db.transaction([FRAMES_STORE, BATCHES_STORE], 'readwrite');
  const done = transactionDone(tx);
  tx.objectStore(FRAMES_STORE).clear();
  tx.objectStore(BATCHES_STORE).clear();
  await done;
}

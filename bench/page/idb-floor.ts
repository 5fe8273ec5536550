/**
 * The floor of a reload from IndexedDB: reading back, raw, every record the module stored, on
 * the page's main thread. `getAllMs`: one readonly transaction, one getAll per object store.
 * `getEachMs`: one transaction, one get() per key (what a getMany of many keys does).
 */
import { now } from './timing.js';

export interface IdbFloor {
  records: number;
  bytes: number;
  getAllMs: number;
  getEachMs: number;
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.addEventListener('success', () => resolve(req.result));
    req.addEventListener('error', () => reject(req.error ?? new Error('IndexedDB request failed')));
  });
}

function sizeOf(value: unknown): number {
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return value.byteLength;
  if (typeof value === 'object' && value !== null)
    return Object.values(value).reduce((sum: number, v) => sum + sizeOf(v), 0);
  return 0;
}

export async function readIdbFloor(name: string): Promise<IdbFloor> {
  const db = await request(indexedDB.open(name));
  try {
    const stores = Array.from(db.objectStoreNames);
    let start = now();
    const tx = db.transaction(stores, 'readonly');
    const all = await Promise.all(stores.map((store) => request(tx.objectStore(store).getAll())));
    const getAllMs = now() - start;
    const records = all.reduce((sum, values) => sum + values.length, 0);
    const bytes = all.reduce((sum, values) => sum + values.reduce((s: number, v) => s + sizeOf(v), 0), 0);
    const keys = await Promise.all(
      stores.map((store) => request(db.transaction(store, 'readonly').objectStore(store).getAllKeys())),
    );
    start = now();
    const each = db.transaction(stores, 'readonly');
    await Promise.all(
      stores.flatMap((store, i) => (keys[i] ?? []).map((key) => request(each.objectStore(store).get(key)))),
    );
    const getEachMs = now() - start;
    return { records, bytes, getAllMs, getEachMs };
  } finally {
    db.close();
  }
}

/** A fresh fake-indexeddb database per test, and raw access to the tier's object stores. */
import { IDBFactory } from 'fake-indexeddb';
import { entries as rawEntries, type UseStore } from 'idb-keyval';
import { expect } from 'vitest';
import { IdbSpillStore, type IdbSpillStoreOptions } from '../../src/spill/idb-spill-store.js';
import { URL_A } from '../helpers/engine.js';
import { FakeClock, recordingLogger } from '../helpers/fake-platform.js';

export const HOUR = 3_600_000;
let dbCounter = 0;

export function frame(seed: number, size = 100): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (seed * 31 + i * 7) & 0xff;
  return bytes;
}

export const key = (n: number, url = URL_A) => `${url}#${n}`;

/** A fresh database per test; one wall clock, fake timers and one logger shared by its stores. */
export function setup(base: Partial<IdbSpillStoreOptions> = {}) {
  const factory = new IDBFactory();
  const dbName = `spill-test-${++dbCounter}`;
  const timers = new FakeClock();
  const logger = recordingLogger();
  const wall = { now: 1_700_000_000_000 };
  const make = (options: Partial<IdbSpillStoreOptions> = {}) =>
    new IdbSpillStore({
      dbName,
      namespace: '',
      maxBytes: 1024 * 1024,
      maxAgeMs: HOUR,
      logger,
      now: () => wall.now,
      indexedDB: factory,
      timers,
      ...base,
      ...options,
    });
  return { factory, dbName, timers, logger, wall, make };
}

export function openRaw(factory: IDBFactory, dbName: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = factory.open(dbName);
    request.addEventListener('success', () => resolve(request.result));
    request.addEventListener('error', () => reject(request.error));
  });
}

export function rawStore(db: IDBDatabase, name: string): UseStore {
  return (mode, callback) => Promise.resolve(callback(db.transaction(name, mode).objectStore(name)));
}

/** Every record of both object stores, read with idb-keyval around the store under test. */
export async function dumpRaw(factory: IDBFactory, dbName: string) {
  const db = await openRaw(factory, dbName);
  try {
    const frames = await rawEntries<string, { v: Uint8Array; n: number; t: number }>(rawStore(db, 'frames'));
    const batches = await rawEntries<number, { t: number; keys: string[]; sizes: number[] }>(rawStore(db, 'batches'));
    return { frames, batches };
  } finally {
    db.close();
  }
}

/** Stored bytes reported == bytes of the frames on disk <= maxBytes; every frame has a batch record. */
export async function checkInvariant(store: IdbSpillStore, factory: IDBFactory, dbName: string, maxBytes: number) {
  const { frames, batches } = await dumpRaw(factory, dbName);
  const named = new Set(batches.flatMap(([, b]) => b.keys));
  for (const [k] of frames) expect(named.has(k)).toBe(true);
  const onDisk = frames.reduce((sum, [, f]) => sum + f.n, 0);
  expect(store.stats().storedBytes).toBe(onDisk);
  expect(onDisk).toBeLessThanOrEqual(maxBytes);
}

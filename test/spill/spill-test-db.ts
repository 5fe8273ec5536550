/** A fresh fake-indexeddb database per test, and raw access to the tier's object stores. */
import { IDBFactory } from 'fake-indexeddb';
import { entries as rawEntries, type UseStore } from 'idb-keyval';
import { expect } from 'vitest';
import { IdbSpillStore, type IdbSpillStoreOptions } from '../../src/spill/idb-spill-store.js';
import type { SpillChannelFactory } from '../../src/spill/spill-channel.js';
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

/**
 * A BroadcastChannel stand-in that delivers at once (the real one delivers on a later turn of
 * the event loop, which would make "tab B reads right after tab A's flush" a race in tests).
 */
export function channelHub() {
  const listeners = new Map<string, Set<() => void>>();
  const sent: string[] = [];
  const factory: SpillChannelFactory = (name, onAnnounce) => {
    const set = listeners.get(name) ?? new Set();
    listeners.set(name, set);
    set.add(onAnnounce);
    return {
      announce: () => {
        sent.push(name);
        for (const listener of set) if (listener !== onAnnounce) listener();
      },
      close: () => set.delete(onAnnounce),
    };
  };
  return { factory, sent, listeners: (name: string) => listeners.get(name)?.size ?? 0 };
}

/** A fresh database per test; one wall clock, fake timers, one logger and one channel hub shared by its stores. */
export function setup(base: Partial<IdbSpillStoreOptions> = {}) {
  const factory = new IDBFactory();
  const dbName = `spill-test-${++dbCounter}`;
  const timers = new FakeClock();
  const logger = recordingLogger();
  const wall = { now: 1_700_000_000_000 };
  const hub = channelHub();
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
      channel: hub.factory,
      preloadIndex: false, // tests count transactions from the first call on (preloading: its own tests)
      ...base,
      ...options,
    });
  return { factory, dbName, timers, logger, wall, hub, make };
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

export interface RawChunk {
  v: Uint8Array[];
  n: number;
  t: number;
}
export interface RawBatch {
  t: number;
  keys: string[];
  sizes: number[];
}

/** Every record of both object stores, read with idb-keyval around the store under test. */
export async function dumpRaw(factory: IDBFactory, dbName: string) {
  const db = await openRaw(factory, dbName);
  try {
    const frames = await rawEntries<number, RawChunk>(rawStore(db, 'frames'));
    const batches = await rawEntries<number, RawBatch>(rawStore(db, 'batches'));
    return { frames, batches };
  } finally {
    db.close();
  }
}

/** The stored bytes of one frame key, found through the batch records as a reader would. */
export async function storedFrame(
  factory: IDBFactory,
  dbName: string,
  storedKey: string,
): Promise<Uint8Array | undefined> {
  const { frames, batches } = await dumpRaw(factory, dbName);
  for (const [id, batch] of batches.toReversed()) {
    const position = batch.keys.indexOf(storedKey);
    if (position >= 0) return frames.find(([chunkId]) => chunkId === id)?.[1].v[position];
  }
  return undefined;
}

/**
 * One chunk per batch record and one batch record per chunk, under the same id; each chunk's
 * frames as long as its record says, `n` their sum; stored bytes reported == bytes of the
 * chunks on disk <= maxBytes.
 */
export async function checkInvariant(store: IdbSpillStore, factory: IDBFactory, dbName: string, maxBytes: number) {
  const { frames, batches } = await dumpRaw(factory, dbName);
  expect(frames.map(([id]) => id)).toEqual(batches.map(([id]) => id));
  frames.forEach(([, chunk], i) => {
    const [, batch] = batches[i]!;
    expect(chunk.v.map((f) => f.byteLength)).toEqual(batch.sizes);
    expect(chunk.n).toBe(batch.sizes.reduce((a, b) => a + b, 0));
  });
  const onDisk = frames.reduce((sum, [, f]) => sum + f.n, 0);
  expect(store.stats().storedBytes).toBe(onDisk);
  expect(onDisk).toBeLessThanOrEqual(maxBytes);
}

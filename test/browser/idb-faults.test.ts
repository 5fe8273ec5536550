// FrameCache with the IndexedDB tier on, in Chromium, while IndexedDB fails: quota exceeded on
// write, an open blocked by another connection, no IndexedDB at all, corrupted and truncated
// records, another tab deleting the database. The cache keeps serving Orthanc's exact frames
// from memory and the network, and counts the fault in stats.spillErrors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/frame-cache.js';
import { dumpDatabase } from './helpers.js';
import { FrameChecker, instanceOf, referenceFrames, resetProxy, trackUnhandledRejections } from './faults-helpers.js';
import { databaseNames, deleteDatabase, openRaw, rewriteRecords } from './faults-idb-helpers.js';

const instance = instanceOf('jpeg', 3); // 12 frames
const all = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
const checker = new FrameChecker();
let unhandled: ReturnType<typeof trackUnhandledRejections>;

beforeAll(() => {
  unhandled = trackUnhandledRejections();
});
afterAll(() => {
  unhandled.stop();
  console.log(`[idb-faults] ${checker.verified} frames verified, ${checker.wrong} wrong, ${unhandled.reasons.length} unhandled rejections`);
  expect(checker.wrong).toBe(0);
  expect(unhandled.reasons).toEqual([]);
});

/** The real worker entry behind an IndexedDB broken as `mode` says (test/browser/workers). */
function faultyWorker(mode: 'quota' | 'absent'): () => Worker {
  return () => new Worker(new URL('./workers/faulty-idb.worker.ts', import.meta.url), { type: 'module', name: mode });
}

function newDbName(): string {
  return `dfc-idb-faults-${crypto.randomUUID()}`;
}

/** Reads every frame; all must be there and exact. Waits for the loads and the spill writes. */
async function readAll(cache: FrameCache): Promise<void> {
  const reference = await referenceFrames(instance);
  expect(checker.returned(await cache.getFrames(instance, all), all, reference)).toBe(instance.frameCount);
  await cache.waitForLoads();
  expect(await checker.cached(cache, instance)).toBe(instance.frameCount);
}

async function frameRecords(dbName: string): Promise<number> {
  return (await dumpDatabase(dbName)).filter((r) => r.store === 'frames').length;
}

describe('FrameCache with a failing IndexedDB tier (Chromium)', () => {
  it('quota exceeded on every write: frames served from the network, nothing stored, errors counted', async () => {
    await resetProxy();
    const dbName = newDbName();
    const warnings: unknown[] = [];
    const logger = { debug() {}, info() {}, warn: (_m: string, fields?: unknown) => void warnings.push(fields), error() {} };
    const cache = new FrameCache({ spill: { dbName }, wholeInstanceMaxFrames: 0, logger, createWorker: faultyWorker('quota') });
    try {
      await readAll(cache);
      const stats = await cache.stats();
      expect(stats.spillErrors).toBeGreaterThanOrEqual(1);
      expect(warnings).toContainEqual(expect.objectContaining({ op: 'write', error: 'QuotaExceededError' }));
      expect(stats.spillStoredBytes).toBe(0);
      expect(await frameRecords(dbName)).toBe(0);
      await cache.clear();
      await readAll(cache); // again from the network: the tier holds nothing
      expect((await cache.stats()).spillHits).toBe(0);
    } finally {
      await cache.close();
    }
  });

  it('an open blocked by another connection: memory only, counted once', async () => {
    await resetProxy();
    const dbName = newDbName();
    // Another tab holds the database at version 1 without the tier's stores and never lets go.
    const holder = await openRaw(dbName, 1);
    holder.onversionchange = () => undefined;
    const cache = new FrameCache({ spill: { dbName }, wholeInstanceMaxFrames: 0 });
    try {
      await readAll(cache);
      const stats = await cache.stats();
      expect(stats.spillErrors).toBe(1);
      expect(stats.spillHits).toBe(0);
      expect(stats.failedRequests).toBe(0);
    } finally {
      await cache.close();
      holder.close();
    }
  });

  it('no IndexedDB in the worker: memory only, counted, no database created', async () => {
    await resetProxy();
    const dbName = newDbName();
    const cache = new FrameCache({ spill: { dbName }, wholeInstanceMaxFrames: 0, createWorker: faultyWorker('absent') });
    try {
      await readAll(cache);
      expect((await cache.stats()).spillErrors).toBe(1);
      expect(await databaseNames()).not.toContain(dbName);
    } finally {
      await cache.close();
    }
  });

  it('corrupted and truncated records are not served: fetched again, counted, and stored anew', async () => {
    await resetProxy();
    const dbName = newDbName();
    const options = { spill: { dbName }, wholeInstanceMaxFrames: 0 };
    const writer = new FrameCache(options);
    await readAll(writer);
    await writer.close();
    expect(await frameRecords(dbName)).toBe(instance.frameCount);

    const damage = new Map<string, (value: { v: Uint8Array; n: number; t: number }) => unknown>([
      ['#1', (r) => ({ ...r, v: r.v.slice(0, r.v.length >> 1) })], // truncated bytes, length kept
      ['#2', () => 'garbage'], // not a record
      ['#3', (r) => ({ ...r, v: 12345 })], // bytes of the wrong type
      ['#4', (r) => ({ v: r.v })], // no length, no time
    ]);
    const changed = await rewriteRecords(dbName, 'frames', (key, value) => {
      const hit = [...damage].find(([suffix]) => String(key).endsWith(suffix));
      return hit?.[1](value as { v: Uint8Array; n: number; t: number });
    });
    expect(changed).toBe(4);

    const reader = new FrameCache(options);
    try {
      await readAll(reader);
      const stats = await reader.stats();
      expect(stats.spillHits).toBe(instance.frameCount - 4);
      expect(stats.spillErrors).toBe(4);
      expect(stats.requests).toBeGreaterThanOrEqual(1);
    } finally {
      await reader.close();
    }
    // The damaged records were replaced by the frames fetched again.
    const healed = new FrameCache(options);
    try {
      await readAll(healed);
      expect(await healed.stats()).toMatchObject({ spillHits: instance.frameCount, requests: 0, spillErrors: 0 });
    } finally {
      await healed.close();
    }
  });

  it('another tab deletes the database while the cache is open: the deletion goes through, frames keep coming', async () => {
    await resetProxy();
    const dbName = newDbName();
    const cache = new FrameCache({ spill: { dbName }, wholeInstanceMaxFrames: 0 });
    try {
      await readAll(cache);
      expect(await frameRecords(dbName)).toBe(instance.frameCount);
      await deleteDatabase(dbName); // resolves only if the worker's connection let go
      expect(await databaseNames()).not.toContain(dbName);
      await readAll(cache); // memory
      await cache.clear();
      await readAll(cache); // network: the tier is gone
      const stats = await cache.stats();
      expect(stats.spillHits).toBe(0);
      expect(stats.failedRequests).toBe(0);
      // Not a failure of the tier (test/spill): it opens a fresh database and stores the frames again.
      expect(await frameRecords(dbName)).toBe(instance.frameCount);
      console.log(`[idb-faults] after another tab deleted the database: spillErrors ${stats.spillErrors}, frames stored again ${instance.frameCount}`);
    } finally {
      await cache.close();
    }
  });
});

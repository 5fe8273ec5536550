// FrameCache with the IndexedDB tier on, in Chromium, while IndexedDB fails: quota exceeded on
// write, an open blocked by another connection, no IndexedDB at all, corrupted and truncated
// records, another tab deleting the database. The cache keeps serving Orthanc's exact frames
// from memory and the network, and counts the fault in stats.spillErrors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
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
  console.log(
    `[idb-faults] ${checker.verified} frames verified, ${checker.wrong} wrong, ${unhandled.reasons.length} unhandled rejections`,
  );
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

interface Chunk {
  v: Uint8Array[];
  n: number;
  t: number;
}

/**
 * Frames stored: the tier keeps one chunk record (`frames` store) per batch record (`batches`
 * store, same key) holding that batch's frames; count the frames of the chunks that are whole.
 */
async function storedFrames(dbName: string): Promise<number> {
  const records = await dumpDatabase(dbName);
  const chunks = new Map(records.filter((r) => r.store === 'frames').map((r) => [r.key, r.value as Chunk]));
  let frames = 0;
  for (const batch of records.filter((r) => r.store === 'batches')) {
    const { sizes } = batch.value as { sizes: number[] };
    const chunk = chunks.get(batch.key);
    if (chunk !== undefined && chunk.v.length === sizes.length && chunk.v.every((f, i) => f.byteLength === sizes[i]))
      frames += sizes.length;
  }
  return frames;
}

describe('FrameCache with a failing IndexedDB tier (Chromium)', () => {
  it('quota exceeded on every write: frames served from the network, nothing stored, errors counted', async () => {
    await resetProxy();
    const dbName = newDbName();
    const warnings: unknown[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (_m: string, fields?: unknown) => void warnings.push(fields),
      error() {},
    };
    const cache = new FrameCache({
      spill: { dbName },
      wholeInstanceMaxFrames: 0,
      logger,
      createWorker: faultyWorker('quota'),
    });
    try {
      await readAll(cache);
      const stats = await cache.stats();
      expect(stats.spillErrors).toBeGreaterThanOrEqual(1);
      expect(warnings).toContainEqual(expect.objectContaining({ op: 'write', error: 'QuotaExceededError' }));
      expect(stats.spillStoredBytes).toBe(0);
      expect(await storedFrames(dbName)).toBe(0);
      expect((await dumpDatabase(dbName)).filter((r) => r.store === 'frames')).toEqual([]);
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
    const cache = new FrameCache({
      spill: { dbName },
      wholeInstanceMaxFrames: 0,
      createWorker: faultyWorker('absent'),
    });
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
    const options = { spill: { dbName }, wholeInstanceMaxFrames: 0, hint: 'minimize-requests' as const };
    // Two frames per request and a flush after each: every pair is a batch, stored as one chunk.
    const writer = new FrameCache({ ...options, framesPerMiss: 2 });
    const reference = await referenceFrames(instance);
    for (let n = 1; n <= instance.frameCount; n += 2) {
      expect(checker.returned(await writer.getFrames(instance, [n, n + 1]), [n, n + 1], reference)).toBe(2);
      await writer.waitForLoads();
    }
    await writer.close();
    expect(await storedFrames(dbName)).toBe(instance.frameCount);
    const chunkKeys = (await dumpDatabase(dbName)).filter((r) => r.store === 'frames').map((r) => r.key as number);
    expect(chunkKeys).toHaveLength(instance.frameCount / 2);

    // The first four chunks (frames 1-8), each damaged another way; frames 9-12 stay whole.
    const damage = new Map<number, (chunk: Chunk) => unknown>([
      [chunkKeys[0]!, (c) => ({ ...c, v: [c.v[0]!.slice(0, c.v[0]!.length >> 1), ...c.v.slice(1)] })], // truncated bytes, length kept
      [chunkKeys[1]!, () => 'garbage'], // not a record
      [chunkKeys[2]!, (c) => ({ ...c, v: 12345 })], // bytes of the wrong type
      [chunkKeys[3]!, (c) => ({ v: c.v })], // no length, no time
    ]);
    const changed = await rewriteRecords(dbName, 'frames', (key, value) => damage.get(key as number)?.(value as Chunk));
    expect(changed).toBe(4);

    const reader = new FrameCache(options);
    try {
      await readAll(reader);
      const stats = await reader.stats();
      expect(stats.spillHits).toBe(instance.frameCount - 8);
      expect(stats.spillErrors).toBe(4); // one per damaged chunk
      expect(stats.requests).toBeGreaterThanOrEqual(1);
    } finally {
      await reader.close();
    }
    expect(await storedFrames(dbName)).toBe(instance.frameCount);
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
      expect(await storedFrames(dbName)).toBe(instance.frameCount);
      await deleteDatabase(dbName); // resolves only if the worker's connection let go
      expect(await databaseNames()).not.toContain(dbName);
      await readAll(cache); // memory
      await cache.clear();
      await readAll(cache); // network: the tier is gone
      const stats = await cache.stats();
      expect(stats.spillHits).toBe(0);
      expect(stats.failedRequests).toBe(0);
      // Not a failure of the tier (test/spill): it opens a fresh database and stores the frames again.
      expect(await storedFrames(dbName)).toBe(instance.frameCount);
      console.log(
        `[idb-faults] after another tab deleted the database: spillErrors ${stats.spillErrors}, frames stored again ${instance.frameCount}`,
      );
    } finally {
      await cache.close();
    }
  });
});

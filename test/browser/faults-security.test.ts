// Patient data and credentials in Chromium, with a real FrameCache: auth header values never
// reach IndexedDB, logs or stats (faults included); the IndexedDB tier is off by default; entries
// expire after maxAgeMs; one namespace never reads another's entries; clear({ spill: true })
// removes every stored frame.
import { describe, expect, it } from 'vitest';
import type { Fault } from '../../scripts/lib/proxy.mjs';
import { FrameCache } from '../../src/page/frame-cache.js';
import { dumpDatabase, textOf } from './helpers.js';
import { FrameChecker, instanceOf, referenceFrames, resetProxy, setFault } from './faults-helpers.js';
import { databaseNames, deleteDatabase, rewriteRecords } from './faults-idb-helpers.js';

/** Frame keys the IndexedDB tier lists as stored (its `batches` records; the bytes are in `frames` chunk records). */
function storedFrameKeys(records: { store: string; value: unknown }[]): string[] {
  return records.filter((r) => r.store === 'batches').flatMap((r) => (r.value as { keys: string[] }).keys);
}

const instance = instanceOf('jpeg', 3); // 12 frames
const all = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
const checker = new FrameChecker();

async function readAll(cache: FrameCache): Promise<void> {
  expect(checker.returned(await cache.getFrames(instance, all), all, await referenceFrames(instance))).toBe(
    instance.frameCount,
  );
  await cache.waitForLoads();
}

function newDbName(): string {
  return `dfc-security-${crypto.randomUUID()}`;
}

describe('FrameCache and patient data (Chromium)', () => {
  it('auth header values never reach IndexedDB, logs or stats, through faults', async () => {
    const secret = `s3cr3t-${crypto.randomUUID()}`;
    const dbName = newDbName();
    const records: unknown[] = [];
    const log = (level: string) => (message: string, fields?: unknown) => void records.push({ level, message, fields });
    const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    let headerCalls = 0;
    const cache = new FrameCache({
      spill: { dbName },
      wholeInstanceMaxFrames: 0,
      maxRetries: 1,
      requestTimeoutMs: 400,
      logger,
      headers: () => {
        headerCalls++;
        return { Authorization: `Bearer ${secret}`, 'X-Api-Key': secret };
      },
    });
    const stats: unknown[] = [];
    try {
      for (const fault of [
        { mode: 'status-503' },
        { mode: 'truncate' },
        { mode: 'stall' },
        { mode: 'status-401' },
      ] as Fault[]) {
        await resetProxy();
        await setFault({ ...fault, match: instance.sopInstanceUid, times: 2 });
        await cache.getFrames(instance, all);
        await cache.waitForLoads();
        stats.push(await cache.stats());
        await cache.clear();
      }
      await resetProxy();
      await readAll(cache);
      stats.push(await cache.stats());
    } finally {
      await cache.close();
    }
    expect(headerCalls).toBeGreaterThan(4);
    expect(records.some((r) => (r as { level: string }).level === 'error')).toBe(true);
    const stored = await dumpDatabase(dbName);
    expect(storedFrameKeys(stored)).toHaveLength(instance.frameCount);
    for (const text of [textOf(stored.map((r) => [r.key, r.value])), JSON.stringify(records), JSON.stringify(stats)]) {
      expect(text).not.toContain(secret);
    }
  });

  it('spill is off by default: frames are read and no database is created', async () => {
    await resetProxy();
    await deleteDatabase('dicomweb-frame-cache');
    const before = await databaseNames();
    const cache = new FrameCache({ wholeInstanceMaxFrames: 0 });
    try {
      await readAll(cache);
      await cache.clear();
      await readAll(cache);
      expect(await cache.stats()).toMatchObject({ spillHits: 0, spillStoredBytes: 0, spillErrors: 0 });
    } finally {
      await cache.close();
    }
    expect(await databaseNames()).toEqual(before);
    expect(before).not.toContain('dicomweb-frame-cache');
  });

  it('entries older than maxAgeMs are not served and are deleted', async () => {
    await resetProxy();
    const dbName = newDbName();
    const maxAgeMs = 60 * 60 * 1000;
    const writer = new FrameCache({ spill: { dbName, maxAgeMs }, wholeInstanceMaxFrames: 0 });
    await readAll(writer);
    await writer.close();
    // Age every record by two maxAgeMs, as if the tab came back days later.
    const old = Date.now() - 2 * maxAgeMs;
    expect(await rewriteRecords(dbName, 'frames', (_k, v) => ({ ...(v as object), t: old }))).toBeGreaterThan(0);
    expect(await rewriteRecords(dbName, 'batches', (_k, v) => ({ ...(v as object), t: old }))).toBeGreaterThan(0);

    const reader = new FrameCache({ spill: { dbName, maxAgeMs }, wholeInstanceMaxFrames: 0 });
    try {
      await readAll(reader);
      expect(await reader.stats()).toMatchObject({ spillHits: 0, spillErrors: 0 });
    } finally {
      await reader.close();
    }
    const left = await dumpDatabase(dbName);
    expect(left.length).toBeGreaterThan(0); // the frames fetched again, stored fresh
    for (const record of left) expect((record.value as { t: number }).t).toBeGreaterThan(old);
  });

  it('entries of one namespace are never served to another; clear({ spill: true }) removes every stored frame', async () => {
    await resetProxy();
    const dbName = newDbName();
    const cacheFor = (namespace: string) => new FrameCache({ spill: { dbName, namespace }, wholeInstanceMaxFrames: 0 });
    const alice = cacheFor('alice');
    await readAll(alice);
    await alice.close();

    const bob = cacheFor('bob');
    await readAll(bob);
    expect(await bob.stats()).toMatchObject({ spillHits: 0, requests: 1 });
    await bob.close();

    // A namespace that is a prefix of another ('ali' + 'ce:...' vs 'alice' + '...') reads nothing either.
    const ali = cacheFor('ali');
    await readAll(ali);
    expect((await ali.stats()).spillHits).toBe(0);
    await ali.close();

    const aliceAgain = cacheFor('alice');
    try {
      await readAll(aliceAgain);
      expect(await aliceAgain.stats()).toMatchObject({ spillHits: instance.frameCount, requests: 0 });
      expect(storedFrameKeys(await dumpDatabase(dbName))).toHaveLength(3 * instance.frameCount);
      await aliceAgain.clear({ spill: true });
    } finally {
      await aliceAgain.close();
    }
    expect(await dumpDatabase(dbName)).toEqual([]);
  });
});

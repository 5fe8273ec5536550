// FrameCache in real headless Chromium: a real module Worker, real IndexedDB, the real Orthanc
// (through the recording proxy, which adds CORS headers and logs every request).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import {
  dumpDatabase,
  frameRequests,
  proxiedInstances,
  proxyLog,
  referenceFrames,
  resetProxy,
  textOf,
} from './helpers.js';

const open: FrameCache[] = [];
function track(cache: FrameCache): FrameCache {
  open.push(cache);
  return cache;
}

beforeEach(resetProxy);
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** Creates the real dedicated worker and keeps a handle on it, so a test can kill it. */
function recordingWorker(workers: Worker[]): () => Worker {
  return () => {
    const worker = new Worker(new URL('../../src/worker/frame-cache.worker.ts', import.meta.url), { type: 'module' });
    workers.push(worker);
    return worker;
  };
}

const level1 = () => proxiedInstances('jpeg')[1]!; // 192 frames (4096 x 3072)

describe('FrameCache in Chromium', () => {
  it('reads a whole level through the worker; every frame equals Orthanc’s', async () => {
    const instance = level1();
    const cache = track(new FrameCache({ wholeInstanceMaxFrames: 0 }));
    const frames = await cache.getFrames(
      instance,
      Array.from({ length: instance.frameCount }, (_, i) => i + 1),
    );
    const reference = await referenceFrames(instance.url, instance.frameCount);
    expect(frames).toHaveLength(192);
    frames.forEach((frame, i) => expect(frame, `frame ${i + 1}`).toEqual(reference[i]));
    await cache.waitForLoads();
    const stats = await cache.stats();
    expect(stats.requests).toBe(1); // 192 frames, one block (framesPerMiss 500, framesPerRequest 400)
  });

  it.each([
    ['shared', true],
    ['dedicated', false],
  ])(
    'getFrames answers packed into buffers made ready ahead (%s): exact frames, a zero tail',
    async (_mode, shared) => {
      const instance = level1();
      const cache = track(new FrameCache({ shared, hotBytes: 0, wholeInstanceMaxFrames: 0 }));
      const all = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
      await cache.preload({ [instance.url]: all });
      const reference = await referenceFrames(instance.url, instance.frameCount);
      let longer = 0;
      for (let call = 0; call < 8; call++) {
        const numbers = all.slice(call * 16, call * 16 + 16);
        const frames = await cache.getFrames(instance, numbers);
        frames.forEach((frame, i) => expect(frame, `frame ${numbers[i]}`).toEqual(reference[numbers[i]! - 1]));
        const buffer = frames[0]!.buffer as ArrayBuffer;
        expect(frames.every((f) => f!.buffer === buffer)).toBe(true);
        const end = frames.reduce((sum, f) => sum + f!.byteLength, 0);
        expect(frames[0]!.byteOffset).toBe(0);
        expect(new Uint8Array(buffer, end).every((b) => b === 0)).toBe(true);
        if (buffer.byteLength > end) longer++;
      }
      // The first answer has no spare yet; later ones of about its size take the one made after it.
      expect(longer).toBeGreaterThan(0);
    },
  );

  it('reads a whole instance in whole-instance mode with one request', async () => {
    const instance = level1();
    const cache = track(new FrameCache({ wholeInstanceMaxFrames: 10000 }));
    const first = await cache.getFrame(instance, 1);
    await cache.waitForLoads();
    const reference = await referenceFrames(instance.url, instance.frameCount);
    expect(first).toEqual(reference[0]);
    expect(await cache.getFrame(instance, 192)).toEqual(reference[191]);
    const requests = (await proxyLog()).filter((e) => e.path.includes(instance.url.split('/instances/')[1]!));
    expect(requests.filter((e) => !e.path.includes('/frames/'))).toHaveLength(1);
    expect(await cache.stats()).toMatchObject({ instanceReads: 1, instanceFrames: 192 });
  });

  it('serves repeated hits from the main-thread hot tier', async () => {
    const instance = level1();
    const cache = track(new FrameCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 4 }));
    const first = await cache.getFrame(instance, 10);
    const again = await cache.getFrame(instance, 10);
    expect(again).toBe(first);
    expect(await cache.stats()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('a FrameCacheError thrown in the worker arrives with its class and code', async () => {
    const cache = track(new FrameCache());
    const invalid = await cache.clear({ bogus: 1 } as never).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(FrameCacheError);
    expect(invalid).toMatchObject({ code: 'invalid-option' });
    await cache.getFrame(level1(), 1, { hint: 'no-wait' });
    const timeout = await cache.waitForLoads(undefined, { timeoutMs: 0 }).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(FrameCacheError);
    expect(timeout).toMatchObject({ code: 'timeout' });
  });

  it('a killed worker rejects pending calls with worker-crashed, and the next call works again', async () => {
    const workers: Worker[] = [];
    const cache = track(new FrameCache({ wholeInstanceMaxFrames: 0, createWorker: recordingWorker(workers) }));
    const instance = level1();
    expect(await cache.getFrame(instance, 1)).toBeDefined();
    const pending = cache
      .waitForLoads(undefined, { timeoutMs: 60000 })
      .then(() => cache.getFrame(proxiedInstances('jpeg')[0]!, 700));
    const never = cache.getFrame(proxiedInstances('jpeg2000')[0]!, 3);
    workers[0]!.terminate(); // no event fires for this: the Web Lock tells the page
    await expect(never).rejects.toMatchObject({ code: 'worker-crashed' });
    await pending.catch(() => undefined);
    // Another instance: frames of `instance` were pushed to the hot tier before the crash.
    const after = await cache.getFrame(proxiedInstances('jpeg')[3]!, 5);
    expect(after?.byteLength).toBeGreaterThan(0);
    expect(workers).toHaveLength(2);
  });

  it('an aborted signal rejects the caller at once with its reason', async () => {
    const cache = track(new FrameCache({ wholeInstanceMaxFrames: 0 }));
    const controller = new AbortController();
    const pending = cache.getFrame(proxiedInstances('jpeg')[0]!, 300, { signal: controller.signal });
    controller.abort(new Error('panned away'));
    await expect(pending).rejects.toThrow('panned away');
  });

  it('after close() every call rejects with closed', async () => {
    const cache = new FrameCache();
    await cache.close();
    await expect(cache.getFrame(level1(), 1)).rejects.toMatchObject({ code: 'closed' });
  });
});

describe('FrameCache with the IndexedDB tier in Chromium', () => {
  const dbName = `dfc-test-${crypto.randomUUID()}`;
  const secret = `secret-${crypto.randomUUID()}`;

  it('after a "reload" (fresh worker, same database) reads the whole level with zero frame requests', async () => {
    const instance = level1();
    const all = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
    const options = {
      wholeInstanceMaxFrames: 0,
      spill: { dbName },
      headers: () => ({ Authorization: `Bearer ${secret}` }),
    };
    const first = new FrameCache(options);
    const reference = await first.getFrames(instance, all);
    await first.waitForLoads(); // also flushes the write-behind queue
    await first.close();
    await resetProxy();
    const second = track(new FrameCache(options));
    const again = await second.getFrames(instance, all);
    expect(again).toEqual(reference);
    expect(frameRequests(await proxyLog())).toHaveLength(0);
    const stats = await second.stats();
    expect(stats.spillHits).toBe(192);
    expect(stats.requests).toBe(0);
  });

  it('never stores an auth header value', async () => {
    const records = await dumpDatabase(dbName);
    expect(records.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(textOf(record.key)).not.toContain(secret);
      expect(textOf(record.value)).not.toContain(secret);
    }
  });

  it('clear({ spill: true }) leaves IndexedDB without a frame or an index entry', async () => {
    const cache = track(new FrameCache({ spill: { dbName } }));
    await cache.clear({ spill: true });
    expect(await dumpDatabase(dbName)).toEqual([]);
  });
});

describe('FrameCache frame push in Chromium', () => {
  it('pushes the frames of a level being read to the hot tier: later reads need no worker at all', async () => {
    const instance = level1();
    const workers: Worker[] = [];
    const cache = track(new FrameCache({ wholeInstanceMaxFrames: 0, createWorker: recordingWorker(workers) }));
    await cache.getFrame(instance, 1);
    await cache.waitForLoads();
    // Pushes travel on their own channel, every few ms: wait until the level is on the page.
    await expect.poll(() => cache.hotFrameCount, { timeout: 10_000 }).toBe(instance.frameCount);
    workers[0]!.terminate();
    for (let n = 1; n <= instance.frameCount; n++)
      expect((await cache.getFrame(instance, n))?.byteLength, `frame ${n}`).toBeGreaterThan(0);
    expect(workers).toHaveLength(1); // no call needed a (new) worker
  });
});

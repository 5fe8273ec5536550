// The seed's API through the facade in real Chromium (a real worker, the real Orthanc through the
// recording proxy): clone, preload's copyFrom, putExternal/getExternal, cacheWholeInstance; and a
// throwing headers function surfacing as code 'headers'.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
import { frameRequests, proxiedInstances, proxyLog, referenceFrames, resetProxy } from './helpers.js';

const open: FrameCache[] = [];
function track(cache: FrameCache): FrameCache {
  open.push(cache);
  return cache;
}

beforeEach(resetProxy);
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

const level3 = () => proxiedInstances('jpeg')[3]!; // 12 frames (1024 x 768)
const numbers = (count: number) => Array.from({ length: count }, (_, i) => i + 1);

describe('the seed API through FrameCache in Chromium', () => {
  it('clone(): same uid and settings, its own empty memory, the same worker', async () => {
    const instance = level3();
    const cache = track(new FrameCache({ wholeInstanceMaxFrames: 0, hint: 'minimize-latency', shared: false }));
    expect(await cache.getFrame(instance, 1)).toBeDefined();
    await cache.waitForLoads();
    const copy = track(cache.clone());
    expect(copy.cacheInstanceUid).toBe(cache.cacheInstanceUid);
    expect(copy.hint).toBe('minimize-latency');
    expect(await copy.getCachedFrame(instance.url, 1)).toBeUndefined();
    expect(await copy.stats()).toMatchObject({ hits: 0, misses: 0, memoryBytes: 0 });
    const reference = await referenceFrames(instance.url, instance.frameCount);
    await resetProxy();
    expect(await copy.getFrame(instance, 2)).toEqual(reference[1]);
    // Empty memory: the clone's miss went to the server (minimize-latency: the frame alone first).
    expect(frameRequests(await proxyLog()).length).toBeGreaterThan(0);
    // Closing the clone leaves the original working on the same worker.
    await copy.close();
    expect(await cache.getFrame(instance, 3)).toEqual(reference[2]);
  });

  it('preload({ copyFrom }) copies frames from another cache without a request', async () => {
    const instance = level3();
    const warm = track(new FrameCache({ wholeInstanceMaxFrames: 0, shared: false }));
    await warm.preload({ [instance.url]: numbers(instance.frameCount) });
    const cold = track(new FrameCache({ wholeInstanceMaxFrames: 0, shared: false }));
    await resetProxy();
    await cold.preload({ [instance.url]: numbers(instance.frameCount) }, { copyFrom: warm });
    expect(frameRequests(await proxyLog())).toHaveLength(0);
    const reference = await referenceFrames(instance.url, instance.frameCount);
    for (const n of numbers(instance.frameCount))
      expect(await cold.getCachedFrame(instance.url, n), `frame ${n}`).toEqual(reference[n - 1]);
    expect(await cold.stats()).toMatchObject({ requests: 0, hits: 0, misses: 0 });
  });

  it('putExternal/getExternal: the caller keeps its buffer; the bytes count in memoryBytes', async () => {
    const cache = track(new FrameCache({ shared: false }));
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    expect(await cache.putExternal('annotation:1', bytes)).toBe(true);
    bytes[0] = 99; // the cache holds a copy
    expect(await cache.getExternal('annotation:1')).toEqual(new Uint8Array([1, 2, 3, 4, 5]));
    expect(await cache.getExternal('annotation:2')).toBeUndefined();
    expect((await cache.stats()).memoryBytes).toBe(5);
    const small = track(new FrameCache({ shared: false, maxBytes: 4 }));
    expect(await small.putExternal('too-big', new Uint8Array(5))).toBe(false);
  });

  it('cacheWholeInstance(): one whole-instance request; every frame equals Orthanc’s', async () => {
    const instance = level3();
    const cache = track(new FrameCache({ shared: false }));
    await cache.cacheWholeInstance(instance);
    const log = (await proxyLog()).filter((e) => e.path.includes(instance.url.split('/instances/')[1]!));
    expect(log.map((e) => e.path.includes('/frames/'))).toEqual([false]);
    expect(await cache.stats()).toMatchObject({ instanceReads: 1, instanceFrames: instance.frameCount });
    const reference = await referenceFrames(instance.url, instance.frameCount);
    for (const n of numbers(instance.frameCount))
      expect(await cache.getCachedFrame(instance.url, n), `frame ${n}`).toEqual(reference[n - 1]);
  });

  it("a throwing headers function: the load fails with code 'headers' (logged, counted), no request is sent", async () => {
    const logged: Record<string, unknown>[] = [];
    const noop = (): void => {};
    const logger = {
      debug: noop,
      info: noop,
      warn: noop,
      error: (_m: string, fields?: Record<string, unknown>) => void logged.push(fields ?? {}),
    };
    const cache = track(
      new FrameCache({
        shared: false,
        hint: 'minimize-requests', // one load, one failed request
        logger,
        headers: () => {
          throw new Error('no token yet');
        },
      }),
    );
    expect(await cache.getFrame(level3(), 1)).toBeUndefined();
    expect(await cache.stats()).toMatchObject({ failedRequests: 1, retries: 0 });
    await expect.poll(() => logged.length).toBe(1);
    expect(logged[0]).toMatchObject({ code: 'headers' });
    expect(frameRequests(await proxyLog())).toHaveLength(0);
  });
});

// Load through FrameCache in Chromium: 2 x 2,000 concurrent getFrame calls over overlapping
// ranges of several instances through a 2 MiB worker cache. Every frame returned is Orthanc's;
// memoryBytes <= maxBytes after every call of every round; and after every round, measured
// without the engine's counter, the bytes of every frame still in memory (hot tier or worker,
// read back with getCachedFrame) stay within maxBytes + hotBytes and the hot tier's frame count
// fits hotBytes. (A dedicated worker exposes no heap
// figure in Chromium: performance.memory is window-only and measureUserAgentSpecificMemory needs
// cross-origin isolation; test/integration/faults-load.test.ts reports Node's heap for the engine.)
import { describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
import { instanceOf, referenceFrames, resetProxy, sameBytes, type BrowserInstance } from './faults-helpers.js';

const CALLS = 2000;
const ROUNDS = 2;
const MAX_BYTES = 2 * 1024 * 1024;
const HOT_BYTES = 256 * 1024;

function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function overlappingCalls(instances: BrowserInstance[], count: number, seed: number): [BrowserInstance, number][] {
  const next = random(seed);
  const calls: [BrowserInstance, number][] = [];
  while (calls.length < count) {
    const instance = instances[Math.floor(next() * instances.length)]!;
    const start = 1 + Math.floor(next() * Math.max(1, instance.frameCount - 24));
    for (let n = start; n < start + 24 && n <= instance.frameCount && calls.length < count; n++)
      calls.push([instance, n]);
  }
  return calls;
}

describe('FrameCache under load (Chromium)', () => {
  it(`${ROUNDS} x ${CALLS} concurrent calls through a 2 MiB cache: exact frames, memory bound held`, async () => {
    await resetProxy();
    const instances = [instanceOf('jpeg', 0), instanceOf('jpeg', 1), instanceOf('jpeg', 2), instanceOf('split', 0, 0)];
    const references = new Map(
      await Promise.all(instances.map(async (i) => [i, await referenceFrames(i, i.frameCount, 64)] as const)),
    );
    const smallest = Math.min(...[...references.values()].flatMap((frames) => frames.map((f) => f.byteLength)));
    const cache = new FrameCache({
      maxBytes: MAX_BYTES,
      hotBytes: HOT_BYTES,
      wholeInstanceMaxFrames: 0,
      framesPerMiss: 32,
      framesPerRequest: 16,
    });
    let wrong = 0;
    let missing = 0;
    let overBound = 0;
    const held: number[] = [];
    try {
      for (let round = 0; round < ROUNDS; round++) {
        await Promise.all(
          overlappingCalls(instances, CALLS, 11 + round).map(([instance, n]) =>
            cache.getFrame(instance, n).then(async (bytes) => {
              if (bytes === undefined) missing++;
              else if (!sameBytes(bytes, references.get(instance)![n - 1]!)) wrong++;
              if ((await cache.stats()).memoryBytes > MAX_BYTES) overBound++;
            }),
          ),
        );
        await cache.waitForLoads();
        // Measured from the frames themselves, not from the engine's byte counter.
        let bytes = 0;
        for (const instance of instances) {
          for (let n = 1; n <= instance.frameCount; n++)
            bytes += (await cache.getCachedFrame(instance.url, n))?.byteLength ?? 0;
        }
        held.push(bytes);
        expect(bytes, `round ${round + 1}: bytes held in memory`).toBeLessThanOrEqual(MAX_BYTES + HOT_BYTES);
        expect(bytes, `round ${round + 1}: the cache kept something`).toBeGreaterThan(0);
        expect(cache.hotFrameCount * smallest, `round ${round + 1}: hot tier`).toBeLessThanOrEqual(HOT_BYTES);
      }
      const stats = await cache.stats();
      console.log(
        `[faults-load-chromium] ${ROUNDS * CALLS} calls, ${stats.requests} requests, ${stats.evictions} evictions, memoryBytes ${stats.memoryBytes}, bytes held per round ${held.join(', ')}`,
      );
      expect({ wrong, missing, overBound }).toEqual({ wrong: 0, missing: 0, overBound: 0 });
      expect(stats.memoryBytes).toBeLessThanOrEqual(MAX_BYTES);
      expect(stats.failedRequests).toBe(0);
    } finally {
      await cache.close();
    }
  });
});

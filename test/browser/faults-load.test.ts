// Load through FrameCache in Chromium: 2 x 2,000 concurrent getFrame calls over overlapping
// ranges of several instances through a 2 MiB worker cache. Every frame returned is Orthanc's and
// memoryBytes <= maxBytes after every call of the first round. (A dedicated worker exposes no heap
// figure in Chromium: performance.memory is window-only and measureUserAgentSpecificMemory needs
// cross-origin isolation; test/integration/faults-load.test.ts reports Node's heap for the engine.)
import { describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
import { instanceOf, referenceFrames, resetProxy, sameBytes, type BrowserInstance } from './faults-helpers.js';

const CALLS = 2000;
const ROUNDS = 2;
const MAX_BYTES = 2 * 1024 * 1024;

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
    for (let n = start; n < start + 24 && n <= instance.frameCount && calls.length < count; n++) calls.push([instance, n]);
  }
  return calls;
}

describe('FrameCache under load (Chromium)', () => {
  it(`${ROUNDS} x ${CALLS} concurrent calls through a 2 MiB cache: exact frames, memory bound held`, async () => {
    await resetProxy();
    const instances = [instanceOf('jpeg', 0), instanceOf('jpeg', 1), instanceOf('jpeg', 2), instanceOf('split', 0, 0)];
    const references = new Map(await Promise.all(instances.map(async (i) => [i, await referenceFrames(i)] as const)));
    const cache = new FrameCache({
      maxBytes: MAX_BYTES,
      hotBytes: 256 * 1024,
      wholeInstanceMaxFrames: 0,
      framesPerMiss: 32,
      framesPerRequest: 16,
    });
    let wrong = 0;
    let missing = 0;
    let overBound = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const checkBound = round === 0;
        await Promise.all(
          overlappingCalls(instances, CALLS, 11 + round).map(([instance, n]) =>
            cache.getFrame(instance, n).then(async (bytes) => {
              if (bytes === undefined) missing++;
              else if (!sameBytes(bytes, references.get(instance)![n - 1]!)) wrong++;
              if (checkBound && (await cache.stats()).memoryBytes > MAX_BYTES) overBound++;
            }),
          ),
        );
        await cache.waitForLoads();
      }
      const stats = await cache.stats();
      console.log(`[faults-load-chromium] ${ROUNDS * CALLS} calls, ${stats.requests} requests, ${stats.evictions} evictions, memoryBytes ${stats.memoryBytes}`);
      expect({ wrong, missing, overBound }).toEqual({ wrong: 0, missing: 0, overBound: 0 });
      expect(stats.memoryBytes).toBeLessThanOrEqual(MAX_BYTES);
      expect(stats.failedRequests).toBe(0);
    } finally {
      await cache.close();
    }
  });
});

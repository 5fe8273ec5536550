// Priorities and cancellation in Chromium, counted at the recording proxy.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
import { openSlide } from '../../src/slide/slide.js';
import { frameRequests, proxiedInstances, proxiedSeriesUrl, proxyLog, resetProxy, setFault } from './helpers.js';

const open: FrameCache[] = [];
beforeEach(resetProxy);
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

describe('cancellation and prefetch in Chromium', () => {
  it('a fast pan that abandons 100 queued tiles: they are never requested', async () => {
    const cache = new FrameCache({
      hint: 'minimize-requests',
      wholeInstanceMaxFrames: 0,
      framesPerMiss: 1,
      maxConcurrentRequests: 1,
      shared: false,
    });
    open.push(cache);
    const level = proxiedInstances('jpeg')[0]!; // 768 frames
    // Frame 101's answer drips (~1 s): the one slot stays busy until the pan, however slow the
    // page is to send it, so the other 99 are still queued then.
    await setFault({ mode: 'drip', bytesPerMs: 8, match: `${new URL(level.url).pathname}/frames/101`, times: 1 });
    const pan = new AbortController();
    const calls = Array.from({ length: 100 }, (_, i) =>
      cache.getFrame(level, 101 + i, { signal: pan.signal }).catch((e: unknown) => e),
    );
    await cache.stats(); // every call has reached the worker
    pan.abort(new DOMException('panned away', 'AbortError'));
    const results = await Promise.all(calls);
    expect(results.filter((r) => r instanceof DOMException)).toHaveLength(100);
    await cache.waitForLoads();
    const sent = frameRequests(await proxyLog());
    const stats = await cache.stats();
    // The one running when the pan happened.
    expect(sent.map((r) => r.path.split('/frames/')[1])).toEqual(['101']);
    expect(stats.cancelled).toBe(99);
  });

  it('prefetch loads a region and its ring, then the region reads with zero requests', async () => {
    const slide = await openSlide(proxiedSeriesUrl('jpeg'));
    const level = slide.levels[1]!; // 4096 x 3072, 16 x 12 tiles
    const cache = new FrameCache({ shared: false });
    open.push(cache);
    const region = { x: 1024, y: 1024, width: 512, height: 512 }; // 2 x 2 tiles
    await cache.prefetch(level, region, { ring: 1, pin: [slide.levels.at(-1)!, slide.levels.at(-2)!] });
    await cache.waitForLoads();
    const prefetchRequests = frameRequests(await proxyLog()).length;
    expect(prefetchRequests).toBeGreaterThan(0);
    for (const [x, y] of [
      [1024, 1024],
      [1536 - 1, 1536 - 1],
      [1024 - 256, 1024 - 256],
      [1536 + 255, 1536 + 255],
    ]) {
      const hit = level.frameAt(x!, y!)!;
      expect(await cache.getCachedFrame(hit.instance.url, hit.frameNumber), `(${x}, ${y})`).toBeDefined();
    }
    const coarsest = slide.levels.at(-1)!;
    expect(await cache.getCachedFrame(coarsest.instances[0]!.url, 1)).toBeDefined();
    expect(frameRequests(await proxyLog())).toHaveLength(prefetchRequests);
  });
});

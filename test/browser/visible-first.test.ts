// The default policy in Chromium, through the real worker and Comlink: a screen of tiles asked
// for in one task (as OpenSeadragon does in one animation frame, one getFrame per tile) goes
// out as one request of exactly those frames; the aligned chunks of their block follow.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FrameCache } from '../../src/page/frame-cache.js';
import { frameRequests, proxiedInstances, proxyLog, referenceFrames, resetProxy } from './helpers.js';

const open: FrameCache[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
beforeEach(resetProxy);

const base = () => proxiedInstances('jpeg')[0]!; // 768 frames (8192 x 6144): 32 x 24 tiles
const framesOf = (path: string): number[] => path.split('/frames/')[1]!.split(',').map(Number);

describe.each([
  ['shared worker (default)', {}],
  ['dedicated worker', { shared: false }],
] as const)('visible first in Chromium, %s', (_name, options) => {
  it('sends a 6 x 5 view as one request of exactly its 30 frames, then whole aligned chunks', async () => {
    const instance = base();
    const reference = await referenceFrames(instance.url, instance.frameCount);
    await resetProxy();
    const cache = new FrameCache({ ...options, wholeInstanceMaxFrames: 0 });
    open.push(cache);
    // Columns 10..15 of rows 8..12 on a 32-tile-wide level.
    const view = [8, 9, 10, 11, 12].flatMap((row) => [10, 11, 12, 13, 14, 15].map((col) => row * 32 + col + 1));
    const frames = await Promise.all(view.map((n) => cache.getFrame(instance, n)));
    frames.forEach((bytes, i) => expect(bytes, `frame ${view[i]}`).toEqual(reference[view[i]! - 1]));
    await cache.waitForLoads();
    const requests = frameRequests(await proxyLog()).filter((e) =>
      e.path.includes(instance.url.split('/instances/')[1]!),
    );
    expect(framesOf(requests[0]!.path)).toEqual([...view].sort((a, b) => a - b));
    const chunks = requests.slice(1).map((e) => framesOf(e.path));
    expect(chunks.length).toBeGreaterThan(0);
    // 768 frames in chunks of 256 (aligned-chunks.ts): the block of the view is chunks 0 and 1.
    for (const chunk of chunks) {
      expect(chunk).toHaveLength(256);
      expect((chunk[0]! - 1) % 256).toBe(0);
      expect(chunk.at(-1)! - chunk[0]!).toBe(255);
    }
    expect(await cache.stats()).toMatchObject({ misses: 30, latencyFrameReads: 30, blockedMs: 0, failedRequests: 0 });
    // The next view inside the block is served from memory: no request.
    const before = requests.length;
    const next = [8, 9, 10, 11, 12].flatMap((row) => [16, 17].map((col) => row * 32 + col + 1));
    const later = await Promise.all(next.map((n) => cache.getFrame(instance, n)));
    later.forEach((bytes, i) => expect(bytes).toEqual(reference[next[i]! - 1]));
    const after = frameRequests(await proxyLog()).filter((e) => e.path.includes(instance.url.split('/instances/')[1]!));
    expect(after).toHaveLength(before);
  });
});

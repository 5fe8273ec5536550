import { describe, expect, it } from 'vitest';
import { URL_A, URL_B, drain, flush, makeEngine, gridLevel } from '../helpers/engine.js';

const inst = (url: string, frameCount: number) => ({ url, frameCount });

describe('FrameCacheEngine priorities', () => {
  it('a visible getFrame overtakes queued preload requests', async () => {
    const { engine, source } = makeEngine(
      { maxConcurrentRequests: 1, framesPerRequest: 1, wholeInstanceMaxFrames: 0, framesPerMiss: 1 },
      { gated: true },
    );
    await engine.preload({ [URL_A]: [1, 2, 3, 4] }, { blocking: false });
    await flush();
    const visible = engine.getFrame(inst(URL_B, 10), 7);
    await flush();
    source.release(); // the running preload request (frame 1)
    await flush();
    expect(source.requests.map((r) => `${r.url === URL_A ? 'A' : 'B'}${r.frameNumbers}`)).toEqual(['A1', 'B7']);
    source.release(true);
    await visible;
    await drain(engine, source);
    await engine.waitForLoads();
  });

  it('a visible wait promotes the queued prefetch request holding its frame', async () => {
    const { engine, source } = makeEngine({ maxConcurrentRequests: 1, framesPerRequest: 2 }, { gated: true });
    await engine.preload({ [URL_A]: [1, 2] }, { blocking: false }); // running
    await engine.preload({ [URL_B]: [1, 2, 3, 4, 5, 6] }, { blocking: false }); // 3 queued requests
    await flush();
    const visible = engine.getFrame(inst(URL_B, 6), 5); // lives in the last queued request
    await flush();
    source.release();
    await flush();
    expect(source.requests.at(-1)?.frameNumbers).toEqual([5, 6]);
    await drain(engine, source);
    expect(await visible).toEqual(source.frameBytes(URL_B, 5));
  });

  it('100 queued tiles abandoned by a fast pan are never requested', async () => {
    const { engine, source } = makeEngine(
      { maxConcurrentRequests: 2, framesPerMiss: 1, wholeInstanceMaxFrames: 0 },
      { gated: true },
    );
    const a = inst(URL_A, 200);
    const controller = new AbortController();
    const calls = Array.from({ length: 100 }, (_, i) =>
      engine.getFrame(a, i + 1, { signal: controller.signal }).catch((e: unknown) => e),
    );
    await flush();
    expect(source.requests).toHaveLength(2);
    controller.abort(new Error('panned'));
    const results = await Promise.all(calls);
    expect(results.every((r) => r instanceof Error)).toBe(true);
    source.release(true);
    await engine.waitForLoads();
    expect(source.requests).toHaveLength(2);
    expect((await engine.stats()).cancelled).toBe(98);
  });
});

describe('FrameCacheEngine.prefetch()', () => {
  it('loads the region and its ring at prefetch priority, behind visible reads', async () => {
    const { engine, source } = makeEngine({ maxConcurrentRequests: 1, framesPerRequest: 100 }, { gated: true });
    const level = gridLevel(URL_A, 10, 10);
    await engine.prefetch(level, { x: 40, y: 40, width: 20, height: 20 }, { ring: 1 });
    await flush();
    expect(source.requests).toHaveLength(1);
    expect(source.requests[0]!.frameNumbers).toEqual([34, 35, 36, 37, 44, 45, 46, 47, 54, 55, 56, 57, 64, 65, 66, 67]);
    source.release(true);
    await engine.waitForLoads();
    expect(await engine.getCachedFrame(URL_A, 45)).toBeDefined();
  });

  it('a new prefetch supersedes the queued part of the previous one', async () => {
    const { engine, source } = makeEngine({ maxConcurrentRequests: 1, framesPerRequest: 4 }, { gated: true });
    const level = gridLevel(URL_A, 10, 10);
    await engine.prefetch(level, { x: 0, y: 0, width: 40, height: 40 }, { ring: 0 }); // 16 frames: 4 requests
    await flush();
    await engine.prefetch(level, { x: 60, y: 60, width: 20, height: 20 }, { ring: 0 }); // pan: 4 frames
    await flush();
    await drain(engine, source);
    await engine.waitForLoads();
    expect(source.requests.map((r) => r.frameNumbers)).toEqual([
      [1, 2, 3, 4],
      [67, 68, 77, 78],
    ]);
    expect((await engine.stats()).cancelled).toBe(3);
  });

  it('stops rather than evict tiles read in the last seconds', async () => {
    // Frames of ~100 bytes, a 2,000-byte budget: 10 visible tiles take half of it.
    const { engine, source, clock } = makeEngine({ maxBytes: 2000, wholeInstanceMaxFrames: 0, framesPerMiss: 1 });
    const level = gridLevel(URL_A, 10, 10);
    const visible = Array.from({ length: 10 }, (_, i) => i + 1);
    for (const n of visible) await engine.getFrame(level.instances[0]!, n);
    clock.advance(100);
    await engine.prefetch(level, { x: 0, y: 50, width: 100, height: 50 }, { ring: 0 });
    await engine.waitForLoads();
    const prefetched = source.requests.slice(10).flatMap((r) => r.frameNumbers!);
    // 0.9 x 2000 - ~1030 visible bytes leaves room for about 7 more frames of ~103 bytes.
    expect(prefetched.length).toBeGreaterThan(3);
    expect(prefetched.length).toBeLessThan(10);
    for (const n of visible) expect(await engine.getCachedFrame(URL_A, n), `visible frame ${n}`).toBeDefined();
    expect((await engine.stats()).memoryBytes).toBeLessThanOrEqual(2000);
  });

  it('pins the coarsest level: its frames survive a churn that evicts everything else', async () => {
    const { engine } = makeEngine({ maxBytes: 8000, wholeInstanceMaxFrames: 0, framesPerMiss: 1 });
    const coarse = gridLevel(URL_B, 2, 2);
    const base = gridLevel(URL_A, 20, 20);
    await engine.prefetch(base, { x: 0, y: 0, width: 10, height: 10 }, { ring: 0, pin: [coarse] });
    await engine.waitForLoads();
    for (let n = 1; n <= 400; n++) await engine.getFrame(base.instances[0]!, n);
    for (let n = 1; n <= 4; n++) expect(await engine.getCachedFrame(URL_B, n), `pinned frame ${n}`).toBeDefined();
    const stats = await engine.stats();
    expect(stats.memoryBytes).toBeLessThanOrEqual(8000);
    expect(stats.evictions).toBeGreaterThan(300);
  });

  it('rejects a bad level, region or ring with invalid-option', async () => {
    const { engine } = makeEngine();
    await expect(engine.prefetch({} as never, { x: 0, y: 0, width: 1, height: 1 })).rejects.toMatchObject({
      code: 'invalid-option',
    });
    await expect(
      engine.prefetch(gridLevel(URL_A, 2, 2), { x: 0, y: 0, width: Number.NaN, height: 1 }),
    ).rejects.toMatchObject({ code: 'invalid-option' });
    await expect(
      engine.prefetch(gridLevel(URL_A, 2, 2), { x: 0, y: 0, width: 1, height: 1 }, { ring: -1 }),
    ).rejects.toMatchObject({ code: 'invalid-option' });
  });
});

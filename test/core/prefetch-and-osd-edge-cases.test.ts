/**
 * Prefetch and OpenSeadragon adapter edge cases found by a review (2026-12-06); each test failed
 * before its fix (docs/reliability.md, "Found by an adversarial review"). The OpenSeadragon tests
 * load the real OpenSeadragon in Node (stub window, document) with its own ImageLoader and jobs.
 */
import { describe, expect, it, vi } from 'vitest';
import type { TiledLevel } from '../../src/core/prefetch-region.js';
import { URL_A, drain, flush, makeEngine, gridLevel } from '../helpers/engine.js';

const inst = (url: string, frameCount: number) => ({ url, frameCount });

describe('prefetch: bounds and the visible tiles', () => {
  it('a huge ring is refused with invalid-option before any tile is looked up', async () => {
    const { engine } = makeEngine();
    // A 2^31-pixel-square level of 256-px tiles (8.4M x 8.4M tiles, within DICOM's limits).
    const instance = inst(URL_A, 4_194_304);
    let lookups = 0;
    const level: TiledLevel = {
      width: 2 ** 31,
      height: 2 ** 31,
      frameWidth: 256,
      frameHeight: 256,
      frameAt: () => {
        // framesForRegion walks every ring before anything is planned: ring 2^40 would never end.
        if (++lookups > 100_000) throw new Error(`runaway: ${lookups} frameAt calls`);
        return { instance, frameNumber: 1 };
      },
    };
    const result = await engine
      .prefetch(level, { x: 2 ** 30, y: 2 ** 30, width: 1440, height: 900 }, { ring: 2 ** 40 })
      .then(
        () => 'resolved',
        (e: unknown) => e,
      );
    expect(result).toMatchObject({ code: 'invalid-option' });
  });

  it('a region of negative width or height is refused with invalid-option', async () => {
    const { engine } = makeEngine();
    const level = gridLevel(URL_A, 4, 4);
    await expect(engine.prefetch(level, { x: 0, y: 0, width: -10, height: 10 })).rejects.toMatchObject({
      code: 'invalid-option',
    });
    await expect(engine.prefetch(level, { x: 0, y: 0, width: 10, height: -10 })).rejects.toMatchObject({
      code: 'invalid-option',
    });
  });

  it('a second prefetch within the visible window does not evict the visible tiles', async () => {
    // Frames of ~103 bytes, a 2,000-byte bound: 10 visible tiles (~1,030 bytes) leave ~770 to prefetch.
    const { engine, source, clock } = makeEngine({ maxBytes: 2000, wholeInstanceMaxFrames: 0, framesPerMiss: 1 });
    const level = gridLevel(URL_A, 10, 10);
    const visible = Array.from({ length: 10 }, (_, i) => i + 1);
    for (const n of visible) await engine.getFrame(level.instances[0]!, n);
    clock.advance(100);
    await engine.prefetch(level, { x: 0, y: 50, width: 100, height: 10 }, { ring: 0 }); // row 5
    await engine.waitForLoads();
    clock.advance(100); // still within VISIBLE_MS of the visible reads
    await engine.prefetch(level, { x: 0, y: 80, width: 100, height: 10 }, { ring: 0 }); // row 8: a pan
    await engine.waitForLoads();
    expect(source.requests.length).toBeGreaterThan(10);
    const evicted = [];
    for (const n of visible) if ((await engine.getCachedFrame(URL_A, n)) === undefined) evicted.push(n);
    expect(evicted, 'visible frames evicted by the second prefetch').toEqual([]);
  });
});

/** OpenSeadragon's UMD build reads `document`, `window`, `self` and `location` as it loads: stubs, for Node. */
function stubBrowserGlobals(): void {
  const handler: ProxyHandler<() => void> = {
    get: (target, p) => (p in target ? (target as never)[p] : p === Symbol.toPrimitive ? () => '' : anything()),
    apply: () => anything(),
    construct: () => anything() as object,
  };
  function anything(): unknown {
    return new Proxy(() => undefined, handler);
  }
  const g = globalThis as Record<string, unknown>;
  g.window ??= globalThis;
  g.self ??= globalThis;
  g.navigator ??= { userAgent: 'node', appVersion: '', platform: '' };
  g.document ??= anything();
  g.location ??= { protocol: 'https:', href: 'https://viewer.example/', search: '' };
}

async function loadTileSource() {
  stubBrowserGlobals();
  const OpenSeadragon = (await import('openseadragon')).default;
  (OpenSeadragon as { pixelDensityRatio: number }).pixelDensityRatio = 1;
  const { createTileSource } = await import('../../src/openseadragon-entry.js');
  return { OpenSeadragon, createTileSource };
}

/** A deferred getTile answer per call. */
function fakeCache() {
  const calls: { signal: AbortSignal; resolve: (b: ImageBitmap | undefined) => void }[] = [];
  const cache = {
    hint: 'minimize-latency',
    getTile: (_i: unknown, _n: number, opts: { signal: AbortSignal }) =>
      new Promise<ImageBitmap | undefined>((resolve) => calls.push({ signal: opts.signal, resolve })),
  };
  return { cache, calls };
}

/** A one-level, 2 x 2-tile slide of 256-px frames, TILED_FULL. */
function smallSlide() {
  const instance = {
    url: 'https://pacs.example/dicom-web/studies/1/series/2/instances/9',
    frameCount: 4,
    sopInstanceUid: '9',
    frameOffset: 0,
  };
  const level = {
    index: 0,
    width: 512,
    height: 512,
    frameWidth: 256,
    frameHeight: 256,
    frameCount: 4,
    transferSyntaxUid: '1.2.840.10008.1.2.4.50',
    instances: [instance],
    frameAt: (x: number, y: number) =>
      x < 0 || y < 0 || x >= 512 || y >= 512
        ? undefined
        : { instance, frameNumber: Math.floor(y / 256) * 2 + Math.floor(x / 256) + 1 },
  };
  return { levels: [level], ancillary: [], seriesUrl: 'https://pacs.example/dicom-web/studies/1/series/2' };
}

describe('OpenSeadragon tile source: jobs OpenSeadragon timed out', () => {
  /** A started job through OSD's own ImageLoader (timeout 100 ms), its tile on screen or far from the view. */
  async function startedJob(onScreen: boolean) {
    const { OpenSeadragon, createTileSource } = await loadTileSource();
    const { cache, calls } = fakeCache();
    const source = createTileSource(smallSlide() as never, cache as never, { sweepMs: 250 });
    const loader = new OpenSeadragon.ImageLoader({ jobLimit: 2, timeout: 100 });
    const bounds = new OpenSeadragon.Rect(0.5, 0.5, 0.5, 0.5);
    const tile = new OpenSeadragon.Tile(
      0,
      1,
      1,
      bounds,
      true,
      'u',
      undefined,
      false,
      undefined,
      undefined,
      undefined,
      'k',
    );
    const view = onScreen ? new OpenSeadragon.Rect(0, 0, 512, 512) : new OpenSeadragon.Rect(100_000, 100_000, 10, 10);
    (tile as unknown as { tiledImage: unknown }).tiledImage = {
      viewer: { viewport: { getZoom: () => 1, getBounds: () => view } },
      viewportToImageZoom: () => 1,
      viewportToImageRectangle: () => view,
    };
    const done = { completions: 0 };
    loader.addJob({ src: 'u', tile, source, callback: () => done.completions++, abort: () => undefined } as never);
    expect(calls).toHaveLength(1);
    return { source, loader: loader as unknown as { jobsInProgress: number }, calls, done };
  }

  it('a job OpenSeadragon timed out is completed once: the sweep does not fail it a second time', async () => {
    vi.useFakeTimers();
    try {
      const { loader, calls, done } = await startedJob(false);
      vi.advanceTimersByTime(100); // OSD's job timeout: job.fail(), downloadTileAbort is not called
      expect(done.completions).toBe(1);
      expect(loader.jobsInProgress).toBe(0);
      vi.advanceTimersByTime(250); // the source's sweep finds the (still pending) job off screen
      calls[0]!.resolve(undefined);
      await vi.advanceTimersByTimeAsync(0);
      expect({ completions: done.completions, jobsInProgress: loader.jobsInProgress }).toEqual({
        completions: 1,
        jobsInProgress: 0,
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a job OpenSeadragon timed out: its wait is aborted, and a bitmap arriving late is closed', async () => {
    vi.useFakeTimers();
    try {
      const { source, calls } = await startedJob(true);
      vi.advanceTimersByTime(100); // OSD's job timeout
      const bitmap = { width: 256, height: 256, close: vi.fn() };
      calls[0]!.resolve(bitmap as unknown as ImageBitmap); // OSD ignores finish() on a finished job
      await vi.advanceTimersByTimeAsync(0);
      expect({
        waitAborted: calls[0]!.signal.aborted,
        lateBitmapClosed: bitmap.close.mock.calls.length > 0,
        finished: source.jobCounts().finished,
      }).toEqual({ waitAborted: true, lateBitmapClosed: true, finished: 0 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('prefetch with the IndexedDB tier', () => {
  it('a new prefetch supersedes the previous one while that one still reads the IndexedDB tier', async () => {
    const reads: (() => void)[] = [];
    const spillStore = {
      getMany: (keys: string[]) =>
        new Promise<(Uint8Array | undefined)[]>((resolve) => reads.push(() => resolve(keys.map(() => undefined)))),
      putMany: () => undefined,
      flush: async () => undefined,
      clear: async () => undefined,
      stats: () => ({ storedBytes: 0, errors: 0 }),
    };
    const { engine, source } = makeEngine(
      { maxConcurrentRequests: 1, framesPerRequest: 4, spillStore, spill: {} },
      { gated: true },
    );
    const level = gridLevel(URL_A, 10, 10);
    await engine.prefetch(level, { x: 0, y: 0, width: 40, height: 40 }, { ring: 0 }); // 16 frames, reading IndexedDB
    await flush();
    await engine.prefetch(level, { x: 60, y: 60, width: 20, height: 20 }, { ring: 0 }); // the pan: 4 frames
    await flush();
    for (const read of reads.splice(0)) read(); // neither held a frame in IndexedDB
    await drain(engine, source);
    await engine.waitForLoads();
    const first = new Set([1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34]);
    const supersededSent = source.requestedFrames.filter((n) => first.has(n));
    // Without the tier the same pan sends at most the one request already running (engine-priority.test.ts).
    expect(supersededSent.length, `frames of the superseded prefetch requested: ${supersededSent}`).toBeLessThanOrEqual(
      4,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { FrameCacheError } from '../../src/shared/errors.js';
import { URL_A, URL_B, drain, flush, makeEngine } from '../helpers/engine.js';

const inst = (url: string, frameCount: number) => ({ url, frameCount });

describe('FrameCacheEngine', () => {
  describe('getFrame() in block mode', () => {
    it('loads the forward window on a miss and serves the rest as hits', async () => {
      const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 0, framesPerMiss: 4 });
      const a = inst(URL_A, 10);
      const bytes = await engine.getFrame(a, 5);
      expect(bytes).toEqual(source.frameBytes(URL_A, 5));
      expect(source.requests).toEqual([{ kind: 'frames', url: URL_A, frameNumbers: [5, 6, 7, 8] }]);
      expect(await engine.getFrame(a, 8)).toEqual(source.frameBytes(URL_A, 8));
      const stats = await engine.stats();
      expect(stats).toMatchObject({ hits: 1, misses: 1, blockReads: 1, blockFrames: 4, requests: 1 });
      expect(stats.firstFrameRead).toBe(5);
      expect(stats.lastFrameRead).toBe(8);
    });

    it('drops cached frames from inside the window (the original fetched them again)', async () => {
      const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 0, framesPerMiss: 4 });
      const a = inst(URL_A, 10);
      await engine.preload({ [URL_A]: [6, 7] });
      await engine.getFrame(a, 5);
      expect(source.requests.map((r) => r.frameNumbers)).toEqual([
        [6, 7],
        [5, 8],
      ]);
    });

    it('chunks a window into equal requests of at most framesPerRequest, one block read', async () => {
      const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 0, framesPerMiss: 500, framesPerRequest: 400 });
      await engine.getFrame(inst(URL_A, 768), 1);
      expect(source.requests.map((r) => r.frameNumbers!.length)).toEqual([250, 250]);
      expect(await engine.stats()).toMatchObject({ blockReads: 1, blockFrames: 500, requests: 2 });
    });

    it('never requests a frame already loading: a second miss inside a loading window waits', async () => {
      const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 0, framesPerMiss: 4 }, { gated: true });
      const a = inst(URL_A, 10);
      const first = engine.getFrame(a, 1);
      const second = engine.getFrame(a, 3);
      await flush();
      expect(source.requests).toHaveLength(1);
      source.release(true);
      expect(await first).toEqual(source.frameBytes(URL_A, 1));
      expect(await second).toEqual(source.frameBytes(URL_A, 3));
      expect(source.requests).toHaveLength(1);
    });

    it('clips a new window against loading frames at its ends', async () => {
      const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 0, framesPerMiss: 4 }, { gated: true });
      const a = inst(URL_A, 20);
      const p1 = engine.getFrame(a, 5); // loads 5..8
      await flush();
      const p2 = engine.getFrame(a, 3); // window 3..6 -> clipped to 3..4
      await flush();
      expect(source.requests.map((r) => r.frameNumbers)).toEqual([
        [5, 6, 7, 8],
        [3, 4],
      ]);
      source.release(true);
      await Promise.all([p1, p2]);
    });
  });

  describe('getFrame() with whole instances', () => {
    it('fetches an instance below the threshold whole: 1 instance read of all frames', async () => {
      const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 10000 }, { frameCounts: { [URL_A]: 15 } });
      const a = inst(URL_A, 15);
      expect(await engine.getFrame(a, 3)).toEqual(source.frameBytes(URL_A, 3));
      expect(source.requests).toEqual([{ kind: 'instance', url: URL_A }]);
      const stats = await engine.stats();
      expect(stats).toMatchObject({ instanceReads: 1, instanceFrames: 15, misses: 1 });
      for (let n = 1; n <= 15; n++) expect(await engine.getCachedFrame(URL_A, n)).toEqual(source.frameBytes(URL_A, n));
    });

    it('uses block mode when frameCount is not below wholeInstanceMaxFrames', async () => {
      const { engine, source } = makeEngine(
        { wholeInstanceMaxFrames: 15, framesPerMiss: 3 },
        { frameCounts: { [URL_A]: 15 } },
      );
      await engine.getFrame(inst(URL_A, 15), 1);
      expect(source.requests).toEqual([{ kind: 'frames', url: URL_A, frameNumbers: [1, 2, 3] }]);
    });

    it('keeps only the most recently loaded frames that fit a 12,000-byte bound', async () => {
      const size = (_u: string, n: number) => (n <= 13 ? 6000 : 5000 + n); // last frames small, as in the original's fixture
      const { engine } = makeEngine({ maxBytes: 12000 }, { frameCounts: { [URL_A]: 15 }, frameSize: size });
      await engine.cacheWholeInstance(inst(URL_A, 15));
      const kept = [];
      for (let n = 1; n <= 15; n++) if (await engine.getCachedFrame(URL_A, n)) kept.push(n);
      expect(kept).toEqual([14, 15]);
      const stats = await engine.stats();
      expect(stats.memoryBytes).toBe(5014 + 5015);
      expect(stats.memoryBytes).toBeLessThanOrEqual(12000);
      expect(stats.memoryLimitBytes).toBe(12000);
      expect(stats.evictions).toBe(13);
    });

    it('keeps all 15 frames when unbounded and reports no memory limit', async () => {
      const { engine } = makeEngine({ maxBytes: Infinity }, { frameCounts: { [URL_A]: 15 } });
      await engine.cacheWholeInstance(inst(URL_A, 15));
      const stats = await engine.stats();
      for (let n = 1; n <= 15; n++) expect(await engine.getCachedFrame(URL_A, n)).toBeDefined();
      expect(stats.memoryLimitBytes).toBeUndefined();
    });

    it('with a 1-byte bound caches nothing, yet the waiter gets its bytes and a warning names both sizes', async () => {
      const { engine, source, logger } = makeEngine({ maxBytes: 1, wholeInstanceMaxFrames: 0, framesPerMiss: 2 });
      const bytes = await engine.getFrame(inst(URL_A, 4), 1);
      expect(bytes).toEqual(source.frameBytes(URL_A, 1));
      expect(await engine.getCachedFrame(URL_A, 1)).toBeUndefined();
      expect((await engine.stats()).memoryBytes).toBe(0);
      const warning = logger.records.find(
        (r) => r.level === 'warn' && r.message.includes('larger than the memory bound'),
      );
      expect(warning?.fields).toMatchObject({ bytes: source.frameBytes(URL_A, 1).byteLength, maxBytes: 1 });
    });

    it('copies each frame once: a cached frame does not pin the response buffer', async () => {
      const { engine } = makeEngine({ wholeInstanceMaxFrames: 0, framesPerMiss: 3 });
      const bytes = (await engine.getFrame(inst(URL_A, 3), 1))!;
      expect(bytes.byteOffset).toBe(0);
      expect(bytes.buffer.byteLength).toBe(bytes.byteLength);
      expect(await engine.getFrame(inst(URL_A, 3), 1)).toBe(bytes);
    });
  });

  describe('hints', () => {
    it("'minimize-requests': misses 1, no latency read, blockedMs > 0 on the injected clock", async () => {
      const { engine } = makeEngine({ wholeInstanceMaxFrames: 0 }, { msPerRequest: 7 });
      await engine.getFrame(inst(URL_A, 15), 1);
      expect(await engine.stats()).toMatchObject({ misses: 1, latencyFrameReads: 0, blockedMs: 7 });
    });

    it("'minimize-latency': the frame alone first, then its aligned chunk behind it; blockedMs 0", async () => {
      const { engine, source } = makeEngine(
        { wholeInstanceMaxFrames: 0, framesPerMiss: 4, hint: 'minimize-latency' },
        { msPerRequest: 5 },
      );
      const bytes = await engine.getFrame(inst(URL_A, 15), 2);
      expect(bytes).toEqual(source.frameBytes(URL_A, 2));
      expect(await engine.stats()).toMatchObject({
        misses: 1,
        latencyFrameReads: 1,
        latencyFrameReadMs: 5,
        blockedMs: 0,
      });
      await engine.waitForLoads();
      // The chunk (32 frames: all 15 here) goes out whole, the same URL whatever was asked first.
      expect(source.requests.map((r) => r.frameNumbers)).toEqual([[2], Array.from({ length: 15 }, (_, i) => i + 1)]);
      expect(await engine.getCachedFrame(URL_A, 2)).toEqual(source.frameBytes(URL_A, 2));
    });

    it("'minimize-latency' on a single-frame instance behaves as 'minimize-requests'", async () => {
      const { engine, source } = makeEngine(
        { hint: 'minimize-latency', wholeInstanceMaxFrames: 10000 },
        { frameCounts: { [URL_A]: 1 }, msPerRequest: 3 },
      );
      await engine.getFrame(inst(URL_A, 1), 1);
      expect(source.requests).toEqual([{ kind: 'instance', url: URL_A }]);
      expect(await engine.stats()).toMatchObject({ latencyFrameReads: 0, blockedMs: 3 });
    });

    it("'no-wait' starts the load and returns undefined at once", async () => {
      const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 0, framesPerMiss: 2 });
      expect(await engine.getFrame(inst(URL_A, 5), 1, { hint: 'no-wait' })).toBeUndefined();
      expect(source.requests).toHaveLength(1);
      await engine.waitForLoads(URL_A);
      expect(await engine.getFrame(inst(URL_A, 5), 2, { hint: 'no-wait' })).toEqual(source.frameBytes(URL_A, 2));
    });

    it('the hint property is validated', () => {
      const { engine } = makeEngine();
      engine.hint = 'no-wait';
      expect(engine.hint).toBe('no-wait');
      expect(() => {
        engine.hint = 'fast' as never;
      }).toThrow(/Expected `hint` to be one of/);
    });
  });

  describe('getFrames()', () => {
    it('answers many frames of one instance with one request', async () => {
      const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 0, framesPerMiss: 16 });
      const frames = await engine.getFrames(inst(URL_A, 40), [1, 2, 3, 16]);
      expect(frames).toEqual([1, 2, 3, 16].map((n) => source.frameBytes(URL_A, n)));
      expect(source.requests).toHaveLength(1);
      expect(await engine.stats()).toMatchObject({ misses: 4 });
    });
    it('rejects the whole call for one bad frame number before any request', async () => {
      const { engine, source } = makeEngine();
      await expect(engine.getFrames(inst(URL_A, 4), [1, 5])).rejects.toMatchObject({ code: 'invalid-frame-number' });
      expect(source.requests).toHaveLength(0);
    });
  });

  describe('failures', () => {
    it('logs and counts a failed request; the frame resolves undefined; a later call tries again', async () => {
      let failing = true;
      const { engine, source, logger } = makeEngine(
        { wholeInstanceMaxFrames: 0, framesPerMiss: 4 },
        { fail: () => (failing ? new FrameCacheError('http', 'HTTP 503', { status: 503 }) : undefined) },
      );
      expect(await engine.getFrame(inst(URL_A, 8), 1)).toBeUndefined();
      expect(await engine.stats()).toMatchObject({ failedRequests: 1, memoryBytes: 0 });
      const error = logger.records.find((r) => r.level === 'error');
      expect(error?.fields).toMatchObject({ instanceUrl: URL_A, code: 'http', status: 503 });
      failing = false;
      expect(await engine.getFrame(inst(URL_A, 8), 1)).toEqual(source.frameBytes(URL_A, 1));
      expect(source.requests).toHaveLength(2);
    });

    it('keeps the frames delivered before a failure and asks again only for the rest', async () => {
      let calls = 0;
      const { engine, source } = makeEngine(
        { wholeInstanceMaxFrames: 0, framesPerMiss: 4 },
        {
          fail: () => (calls++ === 0 ? new FrameCacheError('multipart', 'truncated') : undefined),
          deliverBeforeFailure: 2,
        },
      );
      const a = inst(URL_A, 8);
      const [f1, f3] = await Promise.all([engine.getFrame(a, 1), engine.getFrame(a, 3)]);
      expect(f1).toEqual(source.frameBytes(URL_A, 1));
      expect(f3).toBeUndefined();
      expect(await engine.getCachedFrame(URL_A, 2)).toEqual(source.frameBytes(URL_A, 2));
      expect(await engine.getFrame(a, 3)).toEqual(source.frameBytes(URL_A, 3));
      expect(source.requests.map((r) => r.frameNumbers)).toEqual([
        [1, 2, 3, 4],
        [3, 4, 5, 6],
      ]);
      expect(await engine.stats()).toMatchObject({ failedRequests: 1, blockReads: 2, blockFrames: 6 });
    });
  });

  describe('abort', () => {
    it('a signal aborts the caller’s wait at once with signal.reason', async () => {
      const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 0 }, { gated: true });
      const controller = new AbortController();
      const pending = engine.getFrame(inst(URL_A, 5), 1, { signal: controller.signal });
      await flush();
      controller.abort(new Error('panned away'));
      await expect(pending).rejects.toThrow('panned away');
      source.release(true);
    });

    it('a queued request whose every waiter left is dropped unsent and counted', async () => {
      const { engine, source } = makeEngine(
        { wholeInstanceMaxFrames: 0, framesPerMiss: 1, maxConcurrentRequests: 1 },
        { gated: true },
      );
      const a = inst(URL_A, 10);
      const running = engine.getFrame(a, 1);
      const controller = new AbortController();
      const queued = engine.getFrame(a, 2, { signal: controller.signal });
      await flush();
      expect((await engine.stats()).queued).toBe(1);
      controller.abort(new Error('gone'));
      await expect(queued).rejects.toThrow('gone');
      source.release(true);
      await running;
      await engine.waitForLoads();
      expect(source.requests.map((r) => r.frameNumbers)).toEqual([[1]]);
      expect(await engine.stats()).toMatchObject({ cancelled: 1, queued: 0 });
      // Frame 2 is not loading any more: a later call requests it.
      expect(await engine.getFrame(a, 2, { hint: 'no-wait' })).toBeUndefined();
      await flush();
      expect(source.requests.map((r) => r.frameNumbers)).toEqual([[1], [2]]);
      source.release(true);
      await engine.waitForLoads();
    });
  });

  describe('concurrency', () => {
    it('keeps at most maxConcurrentRequests requests in flight', async () => {
      const { engine, source } = makeEngine(
        { wholeInstanceMaxFrames: 0, framesPerMiss: 10, framesPerRequest: 1, maxConcurrentRequests: 3 },
        { gated: true },
      );
      const pending = engine.getFrame(inst(URL_A, 10), 1);
      await flush();
      expect(source.pending).toBe(3);
      expect(await engine.stats()).toMatchObject({ inFlight: 3, queued: 7 });
      await drain(engine, source);
      await pending;
      await engine.waitForLoads();
      expect(source.maxRunning).toBe(3);
      expect(source.requests).toHaveLength(10);
    });

    it('1,000 concurrent getFrame calls over overlapping frames send each frame at most once', async () => {
      const { engine, source } = makeEngine({
        wholeInstanceMaxFrames: 0,
        framesPerMiss: 37,
        framesPerRequest: 16,
        maxConcurrentRequests: 4,
      });
      const a = inst(URL_A, 300);
      const b = inst(URL_B, 300);
      const calls = [];
      for (let i = 0; i < 1000; i++) {
        const which = i % 3 === 0 ? b : a;
        const frame = ((i * 7919) % 300) + 1;
        calls.push(
          engine.getFrame(which, frame).then((bytes) => expect(bytes).toEqual(source.frameBytes(which.url, frame))),
        );
      }
      await Promise.all(calls);
      for (const url of [URL_A, URL_B]) {
        const asked = source.requests.filter((r) => r.url === url).flatMap((r) => r.frameNumbers!);
        expect(new Set(asked).size).toBe(asked.length);
      }
      expect(source.maxRunning).toBeLessThanOrEqual(4);
    });
  });

  describe('bad input', () => {
    it.each([0, 11, 1.5, '3', Number.NaN])(
      'rejects frame number %s with invalid-frame-number, sends nothing, counts nothing',
      async (bad) => {
        const { engine, source } = makeEngine();
        const error = await engine.getFrame(inst(URL_A, 10), bad as number).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(FrameCacheError);
        expect(error).toMatchObject({ code: 'invalid-frame-number' });
        expect((error as Error).message).toContain(String(bad));
        expect(source.requests).toHaveLength(0);
        expect(await engine.stats()).toMatchObject({ hits: 0, misses: 0, memoryBytes: 0 });
      },
    );
    it.each([
      [{ url: 'pacs/relative', frameCount: 3 }, 'instance.url'],
      [{ url: 'ftp://x/y', frameCount: 3 }, 'instance.url'],
      [{ url: URL_A, frameCount: 0 }, 'instance.frameCount'],
      [{ url: URL_A, frameCount: 2.5 }, 'instance.frameCount'],
    ])('rejects instance %j with invalid-option naming %s', async (instance, name) => {
      const { engine, source } = makeEngine();
      await expect(engine.getFrame(instance, 1)).rejects.toMatchObject({
        code: 'invalid-option',
        message: expect.stringContaining(name),
      });
      expect(source.requests).toHaveLength(0);
    });
    it('rejects asynchronously, never throws synchronously', () => {
      const { engine } = makeEngine();
      expect(() => engine.getFrame(inst(URL_A, 1), 9).catch(() => undefined)).not.toThrow();
    });
  });
});

describe('FrameCacheEngine whole-instance frame counts', () => {
  it('logs a count that differs from the expected one and keeps the real frames', async () => {
    const { engine, source, logger } = makeEngine({}, { frameCounts: { [URL_A]: 6 } });
    await engine.cacheWholeInstance({ url: URL_A, frameCount: 4 });
    expect(logger.records.find((r) => r.message.includes('frame count differs'))?.fields).toMatchObject({
      expected: 4,
      frameCount: 6,
    });
    expect(await engine.getCachedFrame(URL_A, 6)).toEqual(source.frameBytes(URL_A, 6));
    expect((await engine.stats()).instanceFrames).toBe(6);
  });
  it('resolves undefined for frames the file does not have', async () => {
    const { engine } = makeEngine({ wholeInstanceMaxFrames: 10000 }, { frameCounts: { [URL_A]: 2 } });
    const [two, three] = await engine.getFrames({ url: URL_A, frameCount: 3 }, [2, 3]);
    expect(two).toBeDefined();
    expect(three).toBeUndefined();
  });
});

describe('EngineCore.readHit (the worker host hit path)', () => {
  it('answers a frame in memory at once, counted as getFrame counts a hit', async () => {
    const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 0 });
    await engine.preload({ [URL_A]: [2, 3] });
    const before = await engine.stats();
    const tally = { hits: 0, misses: 0 };
    const hit = engine.readHit(inst(URL_A, 8), 2, tally);
    expect(hit).toEqual(source.frameBytes(URL_A, 2));
    const after = await engine.stats();
    expect(after.hits).toBe(before.hits + 1);
    expect(after.misses).toBe(before.misses);
    expect(after.firstFrameRead).toBe(2);
    expect(tally).toEqual({ hits: 1, misses: 0 });
  });
  it('answers undefined for a frame not in memory, counting nothing and fetching nothing', async () => {
    const { engine, source } = makeEngine({ framesPerMiss: 4, wholeInstanceMaxFrames: 0 });
    const before = await engine.stats();
    expect(engine.readHit(inst(URL_A, 8), 5)).toBeUndefined();
    const after = await engine.stats();
    expect(after.hits).toBe(before.hits);
    expect(after.misses).toBe(before.misses);
    expect(after.firstFrameRead).toBeUndefined();
    expect(source.requests).toHaveLength(0);
  });
  it('throws what getFrame rejects with for a bad call or a closed engine', async () => {
    const { engine } = makeEngine();
    expect(() => engine.readHit(inst(URL_A, 8), 9)).toThrow(expect.objectContaining({ code: 'invalid-frame-number' }));
    await engine.close();
    expect(() => engine.readHit(inst(URL_A, 8), 1)).toThrow(expect.objectContaining({ code: 'closed' }));
  });
});

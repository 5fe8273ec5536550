import { describe, expect, it, vi } from 'vitest';
import { FrameCacheError } from '../../src/shared/errors.js';
import { URL_A, URL_B, flush, makeEngine } from '../helpers/engine.js';

const inst = (url: string, frameCount: number) => ({ url, frameCount });

describe('FrameCacheEngine', () => {
  describe('preload()', () => {
    it('sends ranges (1,5) and (7,10) as one load: 1 block read of 9 frames', async () => {
      const { engine, source } = makeEngine();
      await engine.preload({ [URL_A]: [1, 2, 3, 4, 5, 7, 8, 9, 10] });
      expect(source.requests).toEqual([{ kind: 'frames', url: URL_A, frameNumbers: [1, 2, 3, 4, 5, 7, 8, 9, 10] }]);
      expect(await engine.stats()).toMatchObject({ blockReads: 1, blockFrames: 9, hits: 0, misses: 0 });
    });

    it('ignores framesPerMiss and the whole-instance threshold, chunks by framesPerRequest', async () => {
      const { engine, source } = makeEngine({ framesPerMiss: 2, framesPerRequest: 3 });
      await engine.preload({ [URL_A]: [1, 2, 3, 4, 5, 6, 7] });
      expect(source.requests.map((r) => r.frameNumbers)).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    });

    it('drops frames already cached or loading', async () => {
      const { engine, source } = makeEngine({ framesPerMiss: 3, wholeInstanceMaxFrames: 0 }, { gated: true });
      const loading = engine.getFrame(inst(URL_A, 20), 1); // 1..3 loading
      await flush();
      const preloading = engine.preload({ [URL_A]: [2, 3, 4, 5] });
      await flush();
      expect(source.requests.map((r) => r.frameNumbers)).toEqual([
        [1, 2, 3],
        [4, 5],
      ]);
      source.release(true);
      await Promise.all([loading, preloading]);
      await engine.preload({ [URL_A]: [1, 5] });
      expect(source.requests).toHaveLength(2);
    });

    it('a second cache preloading with copyFrom a warm cache sends no request and changes no hit stats', async () => {
      const warm = makeEngine();
      await warm.engine.preload({ [URL_A]: [1, 2, 3], [URL_B]: [4] });
      const cold = makeEngine();
      await cold.engine.preload({ [URL_A]: [1, 2, 3], [URL_B]: [4] }, { copyFrom: warm.engine });
      expect(cold.source.requests).toHaveLength(0);
      expect(await cold.engine.getCachedFrame(URL_B, 4)).toEqual(warm.source.frameBytes(URL_B, 4));
      for (const e of [warm.engine, cold.engine]) expect(await e.stats()).toMatchObject({ hits: 0, misses: 0 });
    });

    it('reports progress up to the total and resolves after the frames arrived', async () => {
      const { engine } = makeEngine({ framesPerRequest: 2 });
      const progress: [number, number][] = [];
      await engine.preload({ [URL_A]: [1, 2, 3], [URL_B]: [1] }, { onProgress: (d, t) => progress.push([d, t]) });
      expect(progress.at(-1)).toEqual([4, 4]);
      expect(progress.map(([d]) => d)).toEqual(progress.map(([d]) => d).sort((a, b) => a - b));
      expect(await engine.getCachedFrame(URL_B, 1)).toBeDefined();
    });

    it('with blocking false resolves before the frames arrive', async () => {
      const { engine, source } = makeEngine({}, { gated: true });
      await engine.preload({ [URL_A]: [1, 2] }, { blocking: false });
      expect(await engine.getCachedFrame(URL_A, 1)).toBeUndefined();
      await flush();
      source.release(true);
      await engine.waitForLoads();
      expect(await engine.getCachedFrame(URL_A, 1)).toBeDefined();
    });

    it('checks only that frame numbers are integers >= 1', async () => {
      const { engine, source } = makeEngine();
      await expect(engine.preload({ [URL_A]: [1, 0] })).rejects.toMatchObject({ code: 'invalid-frame-number' });
      await expect(engine.preload({ 'not a url': [1] })).rejects.toMatchObject({ code: 'invalid-option' });
      expect(source.requests).toHaveLength(0);
    });
  });

  describe('cacheWholeInstance()', () => {
    it('loads each instance of a level whole', async () => {
      const { engine, source } = makeEngine({}, { frameCounts: { [URL_A]: 3, [URL_B]: 2 } });
      await engine.cacheWholeInstance({ instances: [inst(URL_A, 3), inst(URL_B, 2)] });
      expect(source.requests).toEqual([
        { kind: 'instance', url: URL_A },
        { kind: 'instance', url: URL_B },
      ]);
      expect(await engine.stats()).toMatchObject({ instanceReads: 2, instanceFrames: 5 });
    });
    it('is skipped while all frames of the instance are loading', async () => {
      const { engine, source } = makeEngine({}, { frameCounts: { [URL_A]: 3 }, gated: true });
      const first = engine.cacheWholeInstance(inst(URL_A, 3));
      await flush();
      await engine.cacheWholeInstance([inst(URL_A, 3)], { blocking: false });
      await flush();
      expect(source.requests).toHaveLength(1);
      source.release(true);
      await first;
    });
  });

  describe('waitForLoads()', () => {
    it('returns 0 when nothing runs', async () => {
      const { engine } = makeEngine();
      expect(await engine.waitForLoads()).toBe(0);
      expect(await engine.waitForLoads('https://unknown.example/x')).toBe(0);
    });
    it('waits for the loads running at call time, returns the time waited and adds it to blockedMs', async () => {
      const { engine, source, clock } = makeEngine({ wholeInstanceMaxFrames: 0 }, { gated: true });
      await engine.getFrame(inst(URL_A, 4), 1, { hint: 'no-wait' });
      const waiting = engine.waitForLoads(URL_A);
      clock.advance(40);
      await flush();
      source.release(true);
      expect(await waiting).toBe(40);
      expect((await engine.stats()).blockedMs).toBe(40);
    });
    it('rejects with a timeout error when the loads outlast timeoutMs', async () => {
      const { engine, source, clock } = makeEngine({ wholeInstanceMaxFrames: 0 }, { gated: true });
      await engine.getFrame(inst(URL_A, 4), 1, { hint: 'no-wait' });
      const waiting = engine.waitForLoads(undefined, { timeoutMs: 100 });
      clock.advance(100);
      await expect(waiting).rejects.toMatchObject({ code: 'timeout' });
      source.release(true);
      await engine.waitForLoads();
      expect(clock.pendingTimers).toBe(0);
    });
  });

  describe('putExternal() and getExternal()', () => {
    it('stores bytes under their own key space in the same budget', async () => {
      const { engine } = makeEngine({ maxBytes: 1000, wholeInstanceMaxFrames: 0, framesPerMiss: 1 });
      expect(await engine.putExternal(URL_A + '#1', new Uint8Array(10).fill(7))).toBe(true);
      expect(await engine.getCachedFrame(URL_A, 1)).toBeUndefined();
      expect(await engine.getExternal(URL_A + '#1')).toEqual(new Uint8Array(10).fill(7));
      expect((await engine.stats()).memoryBytes).toBe(10);
      await engine.putExternal('big', new Uint8Array(995));
      expect(await engine.getExternal(URL_A + '#1')).toBeUndefined(); // evicted by the budget
    });
    it('returns false and warns when the bytes exceed the bound', async () => {
      const { engine, logger } = makeEngine({ maxBytes: 5 });
      expect(await engine.putExternal('k', new Uint8Array(6))).toBe(false);
      expect(await engine.getExternal('k')).toBeUndefined();
      expect(
        logger.records.some((r) => r.level === 'warn' && r.fields?.['bytes'] === 6 && r.fields?.['maxBytes'] === 5),
      ).toBe(true);
    });
  });

  describe('identity', () => {
    it('clone() keeps the uid and the settings, never the frames', async () => {
      const { engine, source } = makeEngine({ framesPerMiss: 3, wholeInstanceMaxFrames: 0, hint: 'no-wait' });
      await engine.preload({ [URL_A]: [1] });
      const copy = engine.clone();
      expect(copy.cacheInstanceUid).toBe(engine.cacheInstanceUid);
      expect(copy.hint).toBe('no-wait');
      expect(await copy.getCachedFrame(URL_A, 1)).toBeUndefined();
      await copy.getFrame(inst(URL_A, 10), 5);
      await copy.waitForLoads();
      expect(source.requests.at(-1)?.frameNumbers).toEqual([5, 6, 7]);
    });
    it('resetStats() zeroes counters, keeps the uid, and gives log records a new worker uid', async () => {
      const { engine, logger } = makeEngine({ framesPerMiss: 2, wholeInstanceMaxFrames: 0 });
      const uid = engine.cacheInstanceUid;
      await engine.getFrame(inst(URL_A, 4), 1);
      const before = logger.records.at(-1)!.fields!['workerUid'];
      await engine.resetStats();
      expect(await engine.stats()).toMatchObject({ hits: 0, misses: 0, blockReads: 0, requests: 0 });
      expect((await engine.stats()).memoryBytes).toBeGreaterThan(0);
      expect(engine.cacheInstanceUid).toBe(uid);
      await engine.getFrame(inst(URL_A, 4), 3);
      const after = logger.records.at(-1)!.fields!;
      expect(after['cacheInstanceUid']).toBe(uid);
      expect(after['workerUid']).not.toBe(before);
    });
  });

  describe('clear()', () => {
    it('empties memory so the next read fetches again', async () => {
      const { engine, source } = makeEngine({ framesPerMiss: 1, wholeInstanceMaxFrames: 0 });
      await engine.getFrame(inst(URL_A, 4), 1);
      await engine.clear();
      expect((await engine.stats()).memoryBytes).toBe(0);
      await engine.getFrame(inst(URL_A, 4), 1);
      expect(source.requests).toHaveLength(2);
    });
  });

  describe('close()', () => {
    it('rejects pending and later calls with closed and aborts the requests', async () => {
      const warnings: string[] = [];
      const logger = { debug: () => {}, info: () => {}, warn: (m: string) => warnings.push(m), error: () => {} };
      const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 0, logger }, { gated: true });
      const pending = engine.getFrame(inst(URL_A, 4), 1);
      await flush();
      await engine.close();
      await expect(pending).rejects.toMatchObject({ code: 'closed' });
      await expect(engine.getFrame(inst(URL_A, 4), 1)).rejects.toMatchObject({ code: 'closed' });
      await expect(engine.preload({ [URL_A]: [1] })).rejects.toBeInstanceOf(FrameCacheError);
      // stats() too, as FrameCache's does (core/cache-api.ts, close(): later calls reject with 'closed').
      await expect(engine.stats()).rejects.toMatchObject({ code: 'closed' });
      expect(source.pending).toBe(1); // the gate itself; its signal was aborted
      expect(warnings).not.toContain('request failed'); // closing is no failure
    });
  });

  describe('logging', () => {
    it('a throwing logger never breaks a load', async () => {
      const throwing = {
        debug: vi.fn(() => {
          throw new Error('x');
        }),
        info: vi.fn(),
        warn: vi.fn(),
        error: vi.fn(),
      };
      const { engine, source } = makeEngine({ logger: throwing, framesPerMiss: 1, wholeInstanceMaxFrames: 0 });
      expect(await engine.getFrame(inst(URL_A, 2), 1)).toEqual(source.frameBytes(URL_A, 1));
      expect(throwing.debug).toHaveBeenCalled();
    });
  });
});

describe('FrameCacheEngine logging', () => {
  it('warns once when preload gets unsorted frame numbers, and still loads them in order', async () => {
    const { engine, source, logger } = makeEngine();
    await engine.preload({ [URL_A]: [3, 1, 2] });
    await engine.preload({ [URL_B]: [9, 8] });
    expect(source.requests.map((r) => r.frameNumbers)).toEqual([
      [1, 2, 3],
      [8, 9],
    ]);
    expect(logger.records.filter((r) => r.message.includes('not sorted'))).toHaveLength(1);
  });
  it('records carry the uids, the instance URL, frame ranges and the elapsed time of a load', async () => {
    const { engine, logger } = makeEngine({ wholeInstanceMaxFrames: 0, framesPerMiss: 3 }, { msPerRequest: 12 });
    await engine.getFrame(inst(URL_A, 5), 2);
    await engine.waitForLoads();
    const started = logger.records.find((r) => r.message === 'load started')!;
    expect(started.fields).toMatchObject({
      cacheInstanceUid: engine.cacheInstanceUid,
      instanceUrl: URL_A,
      frameRanges: [[2, 4]],
    });
    expect(started.fields?.['workerUid']).toEqual(expect.any(String));
    const ended = logger.records.find((r) => r.message === 'load ended')!;
    expect(ended.fields).toMatchObject({ instanceUrl: URL_A, frames: 3, elapsedMs: 12 });
  });
});

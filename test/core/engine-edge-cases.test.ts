/**
 * Edge cases found by a review (2026-12-06): each test failed before its fix. A frame two loads
 * covered, timeouts past what timers honour, a frameCount no instance has, an abort inside the
 * batch window, and a Part 10 file where a frame was asked for.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FetchLike, Timers } from '../../src/core/ports.js';
import type { TiledLevel } from '../../src/core/prefetch-region.js';
import { DicomwebSource } from '../../src/transport/dicomweb-source.js';
import { EngineCore } from '../../src/core/engine.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import { URL_A, URL_B, URL_C, flush, makeEngine } from '../helpers/engine.js';
import { FakeClock, fakeUid } from '../helpers/fake-platform.js';
import { FakeSource } from '../helpers/fake-source.js';

const inst = (url: string, frameCount: number) => ({ url, frameCount });

/** A level with no tiles: prefetch() on it plans nothing, but still supersedes the queued prefetch. */
const EMPTY_LEVEL: TiledLevel = { width: 10, height: 10, frameWidth: 10, frameHeight: 10, frameAt: () => undefined };

afterEach(() => {
  vi.useRealTimers();
});

describe('engine: edge cases', () => {
  it('a visible read of a frame whose owning request already delivered it (then evicted) is lost when the covering queued load is superseded', async () => {
    // Frames 1,2 of A are loading twice: a preload block (R1, running) and a whole-instance read
    // at prefetch priority (R2, queued). R1 delivers them (R1 was their owner: the owner is
    // forgotten although R2 still brings them), memory pressure evicts frame 1, a visible read
    // of frame 1 waits on R2 without being attached to it, and the next prefetch() drops R2 as
    // "nobody waits": the visible read resolves undefined, though nothing failed.
    const { engine, source } = makeEngine(
      { maxConcurrentRequests: 1, wholeInstanceMaxFrames: 100, maxBytes: 250 },
      { gated: true, frameCounts: { [URL_A]: 4, [URL_B]: 1, [URL_C]: 1 } },
    );
    const a = inst(URL_A, 4);
    await engine.preload({ [URL_A]: [1, 2] }, { blocking: false }); // R1 runs
    await flush();
    expect(await engine.getFrame(a, 3, { priority: 'prefetch', hint: 'no-wait' })).toBeUndefined(); // R2 queued
    const b = engine.getFrame(inst(URL_B, 1), 1); // R3 queued (visible)
    const c = engine.getFrame(inst(URL_C, 1), 1); // R4 queued (visible): holds the slot after R3
    await flush();
    source.release(); // R1 delivers A1, A2; R3 starts
    await flush();
    source.release(); // R3 delivers B1: A1 evicted (250-byte bound); R4 starts, R2 stays queued
    await b;
    await flush();
    expect(await engine.getCachedFrame(URL_A, 1)).toBeUndefined();
    const one = engine.getFrame(a, 1); // waits on R2 (frame 1 still loading)
    await flush();
    await engine.prefetch(EMPTY_LEVEL, { x: 0, y: 0, width: 10, height: 10 }); // supersedes the queued prefetch
    source.release(true);
    await flush(50);
    source.release(true);
    await c;
    const stats = await engine.stats();
    expect(stats.failedRequests).toBe(0);
    expect(await one).toEqual(source.frameBytes(URL_A, 1));
  });

  it('waitForLoads({ timeoutMs }) beyond what setTimeout honours is refused, not a timeout at once', async () => {
    vi.useFakeTimers(); // they fire a delay > 2^31-1 after 1 ms, as browsers and Node do
    const timers: Timers = {
      setTimeout: (cb, ms) => setTimeout(cb, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
    const { engine, source } = makeEngine({ timers }, { gated: true });
    const read = engine.getFrame(inst(URL_A, 4), 1);
    await flush();
    // 30 days: an app's "wait as long as it takes".
    const outcome = engine.waitForLoads(undefined, { timeoutMs: 30 * 24 * 3600 * 1000 }).then(
      (ms) => ({ ms }),
      (error: unknown) => ({ error }),
    );
    vi.advanceTimersByTime(5);
    await flush();
    source.release(true);
    await read;
    const result = await outcome;
    expect(result).toMatchObject({ error: { code: 'invalid-option' } });
    expect(await engine.waitForLoads(undefined, { timeoutMs: 2 ** 31 - 1 })).toBeGreaterThanOrEqual(0);
  });
});

describe('engine: bad input, cancellation', () => {
  it('an instance with a frameCount past MAX_FRAME_COUNT is refused with invalid-option (it threw a RangeError)', async () => {
    // frameCount passes validation (an integer >= 1); a NumberOfFrames this large in bad
    // metadata reaches here through a level. The load allocates an array of every frame number.
    const { engine } = makeEngine({}, { gated: true });
    const error = await engine.cacheWholeInstance({ url: URL_A, frameCount: 2 ** 32 }, { blocking: false }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FrameCacheError);
    expect(error).toMatchObject({ code: 'invalid-option' });
    await expect(engine.getFrame({ url: URL_A, frameCount: 2 ** 22 + 1 }, 1)).rejects.toMatchObject({
      code: 'invalid-option',
    });
  });

  it('an abort during the batch window does not reject the caller at once (it waits for the flush, and the frame is still requested)', async () => {
    const clock = new FakeClock();
    const source = new FakeSource({ clock, gated: true });
    // The platform's window (FrameCacheEngine in Node / a Service Worker): until no miss for 3 ms, at most 16.
    const engine = new EngineCore(
      { source },
      {
        clock: () => clock,
        timers: () => clock,
        uid: fakeUid,
        createSource: () => source,
        batchWindow: { quietMs: 3, maxMs: 16 },
      },
    );
    const controller = new AbortController();
    const reason = new Error('the tile left the view');
    let outcome: unknown = 'pending';
    void engine.getFrame({ url: URL_A, frameCount: 100 }, 5, { signal: controller.signal }).then(
      () => (outcome = 'resolved'),
      (error: unknown) => (outcome = error),
    );
    await flush();
    controller.abort(reason);
    await flush();
    // README: "an aborted `signal` rejects at once with `signal.reason`".
    expect(outcome).toBe(reason);
  });
});

describe('transport: a frame asked for, a Part 10 file answered', () => {
  it('a one-frame request answered with application/dicom (a Part 10 file) is refused, not stored as the frame', async () => {
    const part10 = new Uint8Array(200);
    part10.set([0x44, 0x49, 0x43, 0x4d], 128); // "DICM"
    const fetch = (async () =>
      new Response(part10 as BodyInit, {
        headers: { 'content-type': 'application/dicom; transfer-syntax=1.2.840.10008.1.2.1' },
      })) as unknown as FetchLike;
    const src = new DicomwebSource({
      fetch,
      headers: undefined,
      timers: { setTimeout: (cb) => setTimeout(cb, 0), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      requestTimeoutMs: 30000,
      maxRetries: 0,
    });
    const got: number[] = [];
    const error = await src
      .fetchFrames('http://127.0.0.1:1/dicom-web/studies/1/series/2/instances/3', [1], (n) => got.push(n), {
        signal: new AbortController().signal,
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(got).toEqual([]); // a DICOM file is not a frame's pixel data
    expect(error).toMatchObject({ code: 'multipart' });
  });

  it('a multipart part typed application/dicom is not a frame; one typed as pixel data is', async () => {
    const answer = (partType: string) => {
      const body = `--b\r\nContent-Type: ${partType}\r\n\r\nPIXELS\r\n--b--\r\n`;
      return (async () =>
        new Response(body, {
          headers: { 'content-type': 'multipart/related; type="application/octet-stream"; boundary=b' },
        })) as unknown as FetchLike;
    };
    const read = async (partType: string) => {
      const got: [number, string][] = [];
      const src = new DicomwebSource({
        fetch: answer(partType),
        headers: undefined,
        timers: { setTimeout: (cb) => setTimeout(cb, 0), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
        requestTimeoutMs: 30000,
        maxRetries: 0,
      });
      await src
        .fetchFrames(
          'http://127.0.0.1:1/dicom-web/studies/1/series/2/instances/3',
          [1],
          (n, bytes) => got.push([n, new TextDecoder().decode(bytes)]),
          { signal: new AbortController().signal },
        )
        .catch(() => undefined);
      return got;
    };
    expect(await read('application/dicom')).toEqual([]);
    expect(await read('application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50')).toEqual([]);
    expect(await read('application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1')).toEqual([[1, 'PIXELS']]);
    expect(await read('image/jpeg')).toEqual([[1, 'PIXELS']]);
  });
});

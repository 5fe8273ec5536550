import { describe, expect, it } from 'vitest';
import { EngineCore } from '../../src/core/engine.js';
import { IN_ORDER_READS } from '../../src/core/miss-planner.js';
import { URL_A, URL_B, drain, flush, makeEngine } from '../helpers/engine.js';
import { FakeClock, fakeUid } from '../helpers/fake-platform.js';
import { FakeSource } from '../helpers/fake-source.js';

const inst = (url: string, frameCount: number) => ({ url, frameCount });
const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);
const LEVEL = inst(URL_A, 768); // chunks of 64 frames (CHUNK below), blocks of 512 (framesPerMiss 500)
/**
 * The chunk size is set (as an app's framesPerRequest would) so that the arithmetic below stays
 * readable: a level of 768 frames in 12 chunks. The default size is aligned-chunks.test.ts's.
 */
const CHUNK = { framesPerRequest: 64 };

/**
 * A 3072-frame level in chunks of 256 (blocks of 512): after a first read of frames
 * 1..IN_ORDER_READS, chunks 0 and 1 are loading (gated).
 */
async function chunksZeroAndOneLoading() {
  const { engine, source } = makeEngine(
    { framesPerRequest: 256, hint: undefined, wholeInstanceMaxFrames: 0 },
    { gated: true },
  );
  const big = inst(URL_A, 3072);
  // A reader in frame order (IN_ORDER_READS tiles at once): read-ahead is for it, not for a view.
  const first = engine.getFrames(big, range(1, IN_ORDER_READS));
  await flush();
  source.release();
  await first;
  await flush();
  expect(source.requests.slice(1).map((r) => r.frameNumbers![0])).toEqual([1, 257]);
  return { engine, source, big };
}

describe('FrameCacheEngine visible first (the default policy)', () => {
  it("sends a task's misses as one request of exactly those frames, the block only after it", async () => {
    const { engine, source } = makeEngine({ ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 0 }, { gated: true });
    const view = [140, 100, 101, 102, 103];
    const reads = view.map((n) => engine.getFrame(LEVEL, n));
    await flush();
    expect(source.requests.map((r) => r.frameNumbers)).toEqual([[100, 101, 102, 103, 140]]);
    source.release(); // the visible request ends
    const frames = await Promise.all(reads);
    frames.forEach((bytes, i) => expect(bytes).toEqual(source.frameBytes(URL_A, view[i]!)));
    await flush();
    // Then the chunks of the visible frames' block, nearest first, three at a time before the link's rate is known.
    expect(source.requests.slice(1).map((r) => r.frameNumbers)).toEqual([
      range(65, 128),
      range(129, 192),
      range(1, 64),
    ]);
    await drain(engine, source);
    expect(source.requests.slice(1).map((r) => r.frameNumbers)).toEqual(
      [1, 2, 0, 3, 4, 5, 6, 7].map((k) => range(k * 64 + 1, k * 64 + 64)),
    );
    expect(await engine.stats()).toMatchObject({
      misses: 5,
      latencyFrameReads: 5,
      blockedMs: 0,
      blockReads: 8,
      blockFrames: 512 - 5,
    });
  });

  it('serves the rest of the block from memory: a later view of it sends nothing', async () => {
    const { engine, source } = makeEngine({ ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 0 });
    await engine.getFrames(LEVEL, [10, 11, 42, 43]);
    await engine.waitForLoads();
    const sent = source.requests.length;
    const later = await engine.getFrames(LEVEL, [300, 301, 500]);
    expect(later).toEqual([300, 301, 500].map((n) => source.frameBytes(URL_A, n)));
    expect(source.requests).toHaveLength(sent);
    expect((await engine.stats()).hits).toBe(3);
  });

  it('asks for the same chunks whatever was asked first and whatever is cached', async () => {
    const first = makeEngine({ ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 0 });
    await first.engine.getFrame(LEVEL, 70);
    await first.engine.getFrame(LEVEL, 200);
    await first.engine.waitForLoads();
    const second = makeEngine({ ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 0 });
    await second.engine.getFrames(LEVEL, [205, 206, 71]);
    await second.engine.waitForLoads();
    const chunks = (s: typeof first.source) =>
      new Set(s.requests.map((r) => r.frameNumbers!.join(',')).filter((l) => l.split(',').length === 64));
    expect(chunks(second.source)).toEqual(chunks(first.source));
    expect(chunks(first.source).size).toBe(8);
  });

  it('a visible miss overtakes queued background chunks and one slot stays free for it', async () => {
    const { engine, source } = makeEngine(
      { ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 0, maxConcurrentRequests: 4 },
      { gated: true },
    );
    const first = engine.getFrame(LEVEL, 1);
    await flush();
    source.release();
    await first;
    await flush();
    const backgroundRunning = source.pending;
    expect(backgroundRunning).toBeGreaterThan(0);
    expect(backgroundRunning).toBeLessThanOrEqual(3);
    const next = engine.getFrame(LEVEL, 600); // another block, nothing of it loading
    await flush();
    expect(source.requests.at(-1)!.frameNumbers).toEqual([600]);
    expect(source.pending).toBe(backgroundRunning + 1);
    await drain(engine, source);
    expect(await next).toEqual(source.frameBytes(URL_A, 600));
  });

  it('starts no background chunk while a visible request waits for its answer', async () => {
    const { engine, source } = makeEngine({ ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 0 }, { gated: true });
    const a = engine.getFrame(LEVEL, 5);
    await flush();
    const b = engine.getFrame(inst(URL_B, 768), 5); // a second visible request, other instance
    await flush();
    expect(source.requests.map((r) => r.frameNumbers)).toEqual([[5], [5]]);
    source.release(); // first visible ends; the second still runs: still no background
    await a;
    await flush();
    expect(source.requests).toHaveLength(2);
    source.release();
    await b;
    await flush();
    expect(source.requests.length).toBeGreaterThan(2);
    expect(source.requests.slice(2).every((r) => r.frameNumbers!.length === 64)).toBe(true);
    await drain(engine, source);
  });

  it('a miss inside a queued chunk waits for it, promoted, instead of sending a second request', async () => {
    const { engine, source } = makeEngine(
      { ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 0, maxConcurrentRequests: 2 },
      { gated: true },
    );
    const first = engine.getFrame(LEVEL, 1);
    await flush();
    source.release();
    await first;
    await flush();
    expect(source.requests.map((r) => r.frameNumbers!.length)).toEqual([1, 64]); // one background slot of 2
    const queued = engine.getFrame(LEVEL, 450); // chunk 7: queued behind chunks 1..6
    await flush();
    expect(source.requests.some((r) => r.frameNumbers!.length === 1 && r.frameNumbers![0] === 450)).toBe(false);
    await drain(engine, source);
    expect(await queued).toEqual(source.frameBytes(URL_A, 450));
    expect(source.requestedFrames.filter((n) => n === 450)).toHaveLength(1);
    // Promoted to the visible lane, chunk 7 left before chunks 2..6.
    const order = source.requests.slice(1).map((r) => Math.floor((r.frameNumbers![0]! - 1) / 64));
    expect(order.indexOf(7)).toBeLessThan(order.indexOf(2));
  });

  it('keeps each frame once in memory when a chunk brings frames the visible request already did', async () => {
    const { engine, source } = makeEngine({
      ...CHUNK,
      hint: undefined,
      wholeInstanceMaxFrames: 0,
      maxBytes: 1_000_000,
    });
    await engine.getFrames(LEVEL, [1, 2, 3]);
    await engine.waitForLoads();
    const expected = range(1, 512).reduce((sum, n) => sum + source.frameBytes(URL_A, n).byteLength, 0);
    expect((await engine.stats()).memoryBytes).toBe(expected);
    for (const n of [1, 2, 3, 64, 512])
      expect(await engine.getCachedFrame(URL_A, n)).toEqual(source.frameBytes(URL_A, n));
  });

  it('reads ahead: a visible read that waits on a loading chunk sends the next chunk too', async () => {
    const { engine, source, big } = await chunksZeroAndOneLoading();
    const waiting = engine.getFrame(big, 300); // in chunk 1, loading
    await flush();
    expect(source.requests.at(-1)!.frameNumbers![0]).toBe(513); // chunk 2, beside the two running
    await drain(engine, source);
    expect(await waiting).toEqual(source.frameBytes(URL_A, 300));
    expect(source.requests.slice(1).map((r) => r.frameNumbers)).toEqual([
      range(1, 256),
      range(257, 512),
      range(513, 768),
    ]);
  });

  it('reads ahead past a chunk already loading: one request stays ahead of the reader', async () => {
    const { engine, source, big } = await chunksZeroAndOneLoading();
    const waiting = engine.getFrame(big, 100); // in chunk 0, loading; chunk 1 loading too
    await flush();
    expect(source.requests.slice(3).map((r) => r.frameNumbers![0])).toEqual([513]); // chunk 2, not chunk 1 again
    await drain(engine, source);
    expect(await waiting).toEqual(source.frameBytes(URL_A, 100));
    expect(source.requests.slice(1).map((r) => r.frameNumbers![0])).toEqual([1, 257, 513]);
  });

  it("a viewer's view that waits on a loading chunk gets nothing read ahead (a block no view needs)", async () => {
    // A 768-frame level, 32 tiles across, chunks of 256: a 6 x 5 view at column 8, row 4, then a
    // pan two tiles right while the block behind the first view (chunks 0 and 1) is loading.
    const { engine, source } = makeEngine(
      { framesPerRequest: 256, hint: undefined, wholeInstanceMaxFrames: 0 },
      { gated: true },
    );
    const level = inst(URL_A, 768);
    const view = (column: number) =>
      range(4, 8).flatMap((row) => range(column, column + 5).map((x) => row * 32 + x + 1));
    const first = engine.getFrames(level, view(8));
    await flush();
    source.release(); // the view's visible request
    await first;
    await flush();
    expect(source.requests.slice(1).map((r) => r.frameNumbers![0])).toEqual([1, 257]);
    const pan = engine.getFrames(level, view(10)); // 10 new tiles, in chunks 0 and 1: they wait
    await flush();
    await drain(engine, source);
    expect(await pan).toEqual(view(10).map((n) => source.frameBytes(URL_A, n)));
    // Chunk 2 (frames 513-768) holds no tile of either view: it stays at the archive.
    expect(source.requests.slice(1).map((r) => r.frameNumbers![0])).toEqual([1, 257]);
  });

  it('a reader in frame order with few tiles in flight gets read-ahead once it read a chunk from memory', async () => {
    // 4 tiles in flight: 4 misses, 4 waits on chunk 0, the rest of chunk 0 read from memory (hits,
    // which never reach the count), then a wait in chunk 1: the frames between were in memory.
    const { engine, source } = makeEngine(
      { framesPerRequest: 256, hint: undefined, wholeInstanceMaxFrames: 0 },
      { gated: true },
    );
    const big = inst(URL_A, 3072);
    const first = engine.getFrames(big, [1, 2, 3, 4]);
    await flush();
    source.release(); // the visible request
    await first;
    await flush();
    expect(source.requests.slice(1).map((r) => r.frameNumbers![0])).toEqual([1, 257]);
    const waits = engine.getFrames(big, [5, 6, 7, 8]);
    await flush();
    source.release(); // chunk 0
    expect(await waits).toEqual([5, 6, 7, 8].map((n) => source.frameBytes(URL_A, n)));
    expect(await engine.getFrames(big, range(9, 256))).toEqual(range(9, 256).map((n) => source.frameBytes(URL_A, n)));
    const before = source.requests.length;
    const waiting = engine.getFrame(big, 257); // chunk 1, still loading
    await flush();
    // Chunk 2 goes out beside the running chunk 1.
    expect(source.requests.slice(before).map((r) => r.frameNumbers)).toEqual([range(513, 768)]);
    await drain(engine, source);
    expect(await waiting).toEqual(source.frameBytes(URL_A, 257));
  });

  it('a frame asked again by a reader in frame order does not start its count again', async () => {
    const { engine, source } = makeEngine(
      { framesPerRequest: 256, hint: undefined, wholeInstanceMaxFrames: 0 },
      { gated: true },
    );
    const big = inst(URL_A, 3072);
    const half = IN_ORDER_READS / 2;
    // Frames 1..half, frame `half` again (a retry), then on: each a miss or a wait.
    const first = engine.getFrames(big, [...range(1, half), half]);
    await flush();
    source.release(); // the visible request
    await first;
    await flush();
    const before = source.requests.length;
    const waiting = engine.getFrames(big, range(half + 1, IN_ORDER_READS + 1)); // wait on chunk 0
    await flush();
    // In order all along: the chunk past the block (513) goes out as read-ahead.
    expect(source.requests.slice(before).map((r) => r.frameNumbers![0])).toEqual([513]);
    await drain(engine, source);
    await waiting;
  });

  it('uses an explicit framesPerRequest as the chunk size', async () => {
    const { engine, source } = makeEngine({
      ...CHUNK,
      hint: undefined,
      wholeInstanceMaxFrames: 0,
      framesPerRequest: 100,
      framesPerMiss: 200,
    });
    await engine.getFrame(LEVEL, 250);
    await engine.waitForLoads();
    expect(source.requests.map((r) => r.frameNumbers)).toEqual([[250], range(201, 300), range(301, 400)]);
  });

  it('reads the whole instance behind the visible request where the app says so', async () => {
    const { engine, source } = makeEngine(
      { ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 1000 },
      { frameCounts: { [URL_A]: 768 } },
    );
    await engine.getFrames(LEVEL, [7, 8]);
    await engine.waitForLoads();
    expect(source.requests).toEqual([
      { kind: 'frames', url: URL_A, frameNumbers: [7, 8] },
      { kind: 'instance', url: URL_A },
    ]);
    expect((await engine.stats()).instanceFrames).toBe(768); // the 2 visible frames came twice
  });

  it('a prefetch-priority miss sends no visible request: its block at prefetch priority', async () => {
    const { engine, source } = makeEngine({ ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 0 });
    await engine.getFrame(LEVEL, 700, { priority: 'prefetch' });
    expect(source.requests.map((r) => r.frameNumbers!.length)).toEqual([64, 64, 64, 64]);
  });

  it('learns the link from its requests and shows it in stats()', async () => {
    const { engine } = makeEngine({ ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 0 }, { msPerRequest: 20 });
    await engine.getFrames(LEVEL, [1, 2]);
    await engine.waitForLoads();
    const { links } = await engine.stats();
    expect(links).toHaveLength(1);
    expect(links[0]).toMatchObject({ origin: 'https://pacs.example', minFirstFrameMs: 20 });
    expect(links[0]!.firstFrameMs).toBeGreaterThanOrEqual(20);
    expect(links[0]!.samples).toBe(9);
    expect(links[0]!.meanFrameBytes).toBeGreaterThan(100);
  });

  it('an aborted visible wait rejects with the reason and leaves no waiter behind', async () => {
    const { engine, source } = makeEngine({ ...CHUNK, hint: undefined, wholeInstanceMaxFrames: 0 }, { gated: true });
    const controller = new AbortController();
    const read = engine.getFrame(LEVEL, 9, { signal: controller.signal });
    controller.abort(new Error('left the view'));
    await expect(read).rejects.toThrow('left the view');
    await drain(engine, source);
    expect(await engine.getCachedFrame(URL_A, 9)).toEqual(source.frameBytes(URL_A, 9));
  });

  describe('the batch window of a platform (calls that arrive as separate tasks)', () => {
    function windowed() {
      const clock = new FakeClock();
      const source = new FakeSource({ clock });
      const engine = new EngineCore(
        { ...CHUNK, source, wholeInstanceMaxFrames: 0 },
        {
          clock: () => clock,
          timers: () => clock,
          uid: fakeUid,
          createSource: () => source,
          batchWindow: { quietMs: 3, maxMs: 16 },
        },
      );
      return { engine, source, clock };
    }

    it('collects misses until none came for quietMs', async () => {
      const { engine, source, clock } = windowed();
      const reads = [engine.getFrame(LEVEL, 1)];
      clock.advance(2);
      reads.push(engine.getFrame(LEVEL, 2));
      clock.advance(2);
      reads.push(engine.getFrame(LEVEL, 3));
      await flush();
      expect(source.requests).toHaveLength(0);
      clock.advance(3);
      await Promise.all(reads);
      expect(source.requests[0]!.frameNumbers).toEqual([1, 2, 3]);
    });

    it('sends the batch at most maxMs after its first miss, however many follow', async () => {
      const { engine, source, clock } = windowed();
      const reads = [];
      for (let n = 1; n <= 10; n++) {
        reads.push(engine.getFrame(LEVEL, n));
        clock.advance(2);
      }
      await flush();
      expect(source.requests[0]!.frameNumbers).toEqual(range(1, 8)); // the 9th came at 16 ms
      // 9 and 10 were in the block queued behind the batch by then: they wait for its chunk.
      clock.advance(3);
      const frames = await Promise.all(reads);
      frames.forEach((bytes, i) => expect(bytes).toEqual(source.frameBytes(URL_A, i + 1)));
      expect(source.requests[1]!.frameNumbers).toEqual(range(1, 64));
    });
  });
});

// A level read in order (docs/scheduler.md, "A level read in order"): after three consecutive
// chunks (waits in each, or a chunk read from memory between two waits), an instance whose
// server pays a large cost per request is read whole once, where the link's timing says so; a
// view, a slow link, an app's explicit mode or a small memory tier keep the aligned chunks.
import { describe, expect, it } from 'vitest';
import { EngineCore, type FrameCacheEngineOptions } from '../../src/core/engine.js';
import { LinkLearner, type RequestSample } from '../../src/core/link-learner.js';
import { IN_ORDER_READS } from '../../src/core/miss-planner.js';
import type { SpillStore } from '../../src/core/ports.js';
import { FakeClock, fakeUid, recordingLogger } from '../helpers/fake-platform.js';
import { FakeSource } from '../helpers/fake-source.js';
import { URL_A, URL_B, drain, flush } from '../helpers/engine.js';

/** 20,000 frames of ~103 bytes: 20 aligned chunks of 1024 (chunkFramesFor). */
const LEVEL = { url: URL_A, frameCount: 20_000 };
/** What every request on the level costs the fake server before its first frame (a file parse). */
const PARSE_MS = 600;
/** Another instance of the origin measured the link: 3072 frames' rest in 30 ms, ~10.5 kB/ms. */
const FAST_LINK: RequestSample = {
  startedAt: 0,
  firstFrameAt: 5,
  endedAt: 35,
  frames: 3072,
  bytes: 315_000,
  firstFrameBytes: 103,
  linkBytes: 0,
};
/** The same origin on a slow link: ~100 bytes/ms, so the level's 2 MB take 20 s whole. */
const SLOW_LINK: RequestSample = { ...FAST_LINK, endedAt: 3005 };

/** The IndexedDB tier's port over a Map (frames written as they arrive). */
function mapSpill(): SpillStore & { entries: Map<string, Uint8Array> } {
  const entries = new Map<string, Uint8Array>();
  return {
    entries,
    getMany: async (keys) => keys.map((key) => entries.get(key)),
    putMany: (list) => {
      for (const [key, bytes] of list) entries.set(key, bytes.slice());
    },
    flush: async () => undefined,
    clear: async () => entries.clear(),
    stats: () => ({ storedBytes: 0, errors: 0 }),
  };
}

function build(link: RequestSample, options: FrameCacheEngineOptions = {}) {
  const clock = new FakeClock();
  const source = new FakeSource({ clock, gated: true, msPerRequest: PARSE_MS, frameCounts: { [URL_A]: 20_000 } });
  const logger = recordingLogger();
  const links = new LinkLearner();
  links.record(URL_B, link);
  const engine = new EngineCore(
    { source, logger, ...options },
    { clock: () => clock, timers: () => clock, uid: fakeUid, createSource: () => source, linkLearner: () => links },
  );
  return { engine, source, logger };
}

/** Releases the oldest gated request and lets its deliveries run. */
async function releaseOne(source: FakeSource): Promise<void> {
  source.release();
  await flush(20);
}

/** The frame a reader waits on in `chunk`: the one after the first IN_ORDER_READS of the chunk. */
const waitIn = (chunk: number) => chunk * 1024 + IN_ORDER_READS + 1;

/**
 * A reader going through the level in order: frames 1 to IN_ORDER_READS at once (misses: one
 * visible request, answered; a level reader with that many tiles in flight), then a read
 * waiting in each of `chunks` (waitIn, while its chunk is loading).
 */
async function readInOrder(built: ReturnType<typeof build>, chunks: readonly number[]) {
  const { engine, source } = built;
  const first = engine.getFrames(LEVEL, range(1, IN_ORDER_READS));
  await flush();
  expect(source.requests.map((r) => r.frameNumbers)).toEqual([range(1, IN_ORDER_READS)]);
  await releaseOne(source); // the visible request: the instance's first request measured
  expect((await first)[0]).toEqual(source.frameBytes(URL_A, 1));
  // Chunk 0 behind it, once its answer was in.
  expect(source.requests.map((r) => r.frameNumbers)).toEqual([range(1, IN_ORDER_READS), range(1, 1024)]);
  const waiting: Promise<Uint8Array | undefined>[] = [];
  for (const chunk of chunks) {
    waiting.push(engine.getFrame(LEVEL, waitIn(chunk)));
    await flush();
  }
  return waiting;
}

const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);
const instanceRequests = (source: FakeSource) => source.requests.filter((r) => r.kind === 'instance');

describe('a level read in order', () => {
  it('goes on whole after waits in three consecutive chunks, once; nothing is lost', async () => {
    const built = build(FAST_LINK);
    const { engine, source, logger } = built;
    const waiting = await readInOrder(built, [0, 1, 2]);
    expect((await engine.stats()).inOrderWholeReads).toBe(1);
    // Queued behind chunks 0-2 (three background slots); reads further on wait for it: no
    // more chunks, no second whole read.
    waiting.push(engine.getFrame(LEVEL, 3 * 1024 + 2), engine.getFrame(LEVEL, 9000));
    await flush();
    await drain(engine, source);
    expect(source.requests.map((r) => r.frameNumbers?.[0] ?? r.kind)).toEqual([1, 1, 1025, 2049, 'instance']);
    const sentBefore = source.requests.length;
    expect(await Promise.all(waiting)).toEqual(
      [waitIn(0), waitIn(1), waitIn(2), 3074, 9000].map((n) => source.frameBytes(URL_A, n)),
    );
    // Every frame is cached now, each with its own bytes.
    const all = await engine.getFrames(LEVEL, range(1, 20_000));
    expect(
      all.every((bytes, i) => bytes !== undefined && bytes.byteLength === source.frameBytes(URL_A, i + 1).byteLength),
    ).toBe(true);
    expect(all[19_999]).toEqual(source.frameBytes(URL_A, 20_000));
    expect(source.requests.length).toBe(sentBefore);
    expect((await engine.stats()).failedRequests).toBe(0);
    expect(logger.records.filter((r) => r.level === 'error' || r.level === 'warn')).toEqual([]);
  });

  it('with the IndexedDB tier holding some of its frames: still one whole request', async () => {
    const spill = mapSpill();
    const built = build(FAST_LINK, { spillStore: spill, spill: {} });
    await readInOrder(built, [0, 1, 2]);
    await drain(built.engine, built.source);
    expect(spill.entries.size).toBeGreaterThan(0); // frame 1 at least was there when it started
    expect(built.source.requests.map((r) => r.frameNumbers?.[0] ?? r.kind)).toEqual([1, 1, 1025, 2049, 'instance']);
    const all = await built.engine.getFrames(LEVEL, [1, 5000, 20_000]);
    expect(all).toEqual([1, 5000, 20_000].map((n) => built.source.frameBytes(URL_A, n)));
  });

  it('two consecutive chunks are a view, not a level read: chunks only', async () => {
    const built = build(FAST_LINK);
    await readInOrder(built, [0, 1]);
    await drain(built.engine, built.source);
    expect(instanceRequests(built.source)).toEqual([]);
  });

  it('waits that skip a chunk not in memory start the count again', async () => {
    const built = build(FAST_LINK);
    // Waits in chunks 0 and 1, then the reader jumps to chunk 3 while chunk 2 is still loading:
    // its first read there misses (chunk 3 goes out behind it), the second waits.
    await readInOrder(built, [0, 1, 3, 3]);
    expect(built.source.requests.map((r) => r.frameNumbers?.[0])).toEqual([1, 1, 1025, 2049, waitIn(3)]);
    await drain(built.engine, built.source);
    expect(instanceRequests(built.source)).toEqual([]);
    expect((await built.engine.stats()).inOrderWholeReads).toBe(0);
  });

  it('a chunk that came whole before the reader reached it continues the count (its reads were hits)', async () => {
    const built = build(FAST_LINK);
    const { engine, source } = built;
    // Waits in chunks 0 and 1: read-ahead has chunk 2 on its way by then.
    const waiting = await readInOrder(built, [0, 1]);
    expect(source.requests.map((r) => r.frameNumbers?.[0])).toEqual([1, 1, 1025, 2049]);
    // The server answers chunks 0-2 (with several requests at once on a busy server, a chunk
    // can come before the reader gets to it) and the reader reads chunk 2 from memory, no wait.
    for (let i = 0; i < 3; i++) await releaseOne(source);
    expect(await Promise.all(waiting)).toEqual([waitIn(0), waitIn(1)].map((n) => source.frameBytes(URL_A, n)));
    expect(await engine.getFrames(LEVEL, range(2049, 3072))).toEqual(
      range(2049, 3072).map((n) => source.frameBytes(URL_A, n)),
    );
    expect((await engine.stats()).inOrderWholeReads).toBe(0);
    // Chunk 3: nothing loading there yet, so its first read misses; its chunk goes out once that
    // visible answer is in, and the next read waits on it: chunks 0-3 in order, chunk 2 read
    // without a wait.
    const next = [engine.getFrame(LEVEL, 3 * 1024 + 1)];
    await flush();
    await releaseOne(source);
    expect(source.requests.map((r) => r.frameNumbers?.[0])).toEqual([1, 1, 1025, 2049, 3073, 3073]);
    next.push(engine.getFrame(LEVEL, 3 * 1024 + 2));
    await flush();
    expect((await engine.stats()).inOrderWholeReads).toBe(1);
    expect(instanceRequests(source)).toHaveLength(1);
    await drain(engine, source);
    expect(await Promise.all(next)).toEqual([3 * 1024 + 1, 3 * 1024 + 2].map((n) => source.frameBytes(URL_A, n)));
  });

  for (const [label, link, options] of [
    ['on a slow link (the bytes dominate, and a whole read would hold the link)', SLOW_LINK, {}],
    ['where the app set wholeInstanceMaxFrames', FAST_LINK, { wholeInstanceMaxFrames: 100 }],
    ['where the app set framesPerRequest', FAST_LINK, { framesPerRequest: 1024 }],
    ['where the instance would take more than half the memory tier', FAST_LINK, { maxBytes: 3_000_000 }],
  ] as const) {
    it(`${label}: chunks only`, async () => {
      const built = build(link, options);
      const { engine, source } = built;
      const first = engine.getFrame(LEVEL, 1);
      await flush();
      await releaseOne(source);
      await first;
      for (const chunk of [0, 1, 2, 3]) {
        void engine.getFrame(LEVEL, chunk * 1024 + 2);
        await flush();
      }
      await drain(engine, source);
      expect(instanceRequests(source)).toEqual([]);
      expect((await engine.stats()).inOrderWholeReads).toBe(0);
    });
  }
});

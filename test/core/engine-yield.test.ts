// A background chunk yields the link to a visible request on a measured slow link
// (docs/scheduler.md, "Yielding the link"): it is stopped, and the frames it had not delivered
// are asked again, once, after the visible request; nothing is lost or counted as failed.
import { describe, expect, it } from 'vitest';
import type { RequestSample } from '../../src/core/link-learner.js';
import { SLOW_LINK, URL_A, chunkBehindFirstView, drain, flush } from '../helpers/engine.js';

const LEVEL = { url: URL_A, frameCount: 768 };
const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);
/** Loopback-like: 1000-byte frames at 100 kB/ms, first frame in 5 ms: a chunk transfers in 2.6 ms. */
const FAST_LINK: RequestSample = { ...SLOW_LINK, firstFrameAt: 5, endedAt: 6 };

/** The first view (frame 1); then chunk 0 (frames 1..256) runs behind it (more chunks where the link allows). */
async function chunkRunning(link: RequestSample | undefined, overtakeChunks = true) {
  const built = await chunkBehindFirstView(link, { overtakeChunks });
  expect(built.source.requests.slice(0, 2).map((r) => r.frameNumbers)).toEqual([[1], range(1, 256)]);
  return built;
}

/** Every frame of chunk 0 is now cached: reading them sends nothing. */
async function expectChunkCached(engine: Awaited<ReturnType<typeof chunkRunning>>['engine'], sent: () => number) {
  const before = sent();
  const frames = await engine.getFrames(LEVEL, range(1, 256));
  expect(frames.every((bytes) => bytes !== undefined)).toBe(true);
  expect(sent()).toBe(before);
}

/** A visible request elsewhere in the level: chunk 0 is not stopped, and nothing is asked twice. */
async function expectChunkRunsOn({ engine, source }: Awaited<ReturnType<typeof chunkRunning>>) {
  const view = engine.getFrame(LEVEL, 600);
  await flush();
  expect((await engine.stats()).yieldedRequests).toBe(0);
  await drain(engine, source);
  expect(await view).toEqual(source.frameBytes(URL_A, 600));
  expect(source.requests.filter((r) => r.frameNumbers![0] === 2)).toEqual([]);
  await expectChunkCached(engine, () => source.requests.length);
}

describe('a background chunk and a new visible request', () => {
  it('on a slow link: the chunk stops, its rest is asked again after the visible request', async () => {
    const { engine, source, logger } = await chunkRunning(SLOW_LINK);
    expect(source.requests).toHaveLength(2); // one background chunk at a time on this link
    const view = engine.getFrame(LEVEL, 600); // another part of the level: nothing brings it
    await flush();
    expect(source.requests.at(-1)!.frameNumbers).toEqual([600]);
    expect((await engine.stats()).yieldedRequests).toBe(1);
    // The chunk's rest is not sent while the visible request runs.
    expect(source.requests.slice(3)).toEqual([]);
    await drain(engine, source);
    expect(await view).toEqual(source.frameBytes(URL_A, 600));
    // Frames 2..256 again (frame 1 came with the first view), once.
    const again = source.requests.slice(3).filter((r) => r.frameNumbers![0]! <= 256);
    expect(again.map((r) => r.frameNumbers)).toEqual([range(2, 256)]);
    await expectChunkCached(engine, () => source.requests.length);
    const stats = await engine.stats();
    expect(stats).toMatchObject({ yieldedRequests: 1, failedRequests: 0 });
    expect(logger.records.filter((r) => r.level === 'error' || r.level === 'warn')).toEqual([]);
  });

  it('a chunk someone waits on runs on', async () => {
    const built = await chunkRunning(SLOW_LINK);
    const near = built.engine.getFrame(LEVEL, 3); // near the chunk's delivery front: waits on it
    await flush();
    await expectChunkRunsOn(built);
    expect(await near).toEqual(built.source.frameBytes(URL_A, 3));
  });

  it('a chunk whose own first frame is slow (a large file parsed per request) runs on', async () => {
    const built = await chunkRunning(SLOW_LINK);
    built.clock.advance(5000); // no byte of the chunk yet after 5 s; its 255 frames transfer in 2.55 s
    await expectChunkRunsOn(built);
  });

  for (const [label, link, overtakeChunks] of [
    ['before the link is measured', undefined, true],
    ['on a fast link (its transfer is shorter than a request)', FAST_LINK, true],
    ['with overtakeChunks off (the Service Worker)', SLOW_LINK, false],
  ] as const) {
    it(`${label}: the chunk runs on`, async () => {
      await expectChunkRunsOn(await chunkRunning(link, overtakeChunks));
    });
  }
});

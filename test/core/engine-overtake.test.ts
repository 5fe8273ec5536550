// A visible frame far down a long background chunk on a slow link gets a request of its own
// (docs/scheduler.md, "Overtaking a chunk"); one near the chunk's delivery front waits for it.
import { describe, expect, it } from 'vitest';
import { SLOW_LINK, URL_A, chunkBehindFirstView, drain, flush } from '../helpers/engine.js';

const LEVEL = { url: URL_A, frameCount: 768 };

/** The first view (frame 1), then chunk 0 running behind it (and chunk 1 before the link is known). */
async function withChunksRunning(learned: boolean, overtakeChunks = true) {
  const { engine, source } = await chunkBehindFirstView(learned ? SLOW_LINK : undefined, { overtakeChunks });
  expect(source.requests[1]!.frameNumbers).toHaveLength(256);
  expect(source.requests[1]!.frameNumbers![0]).toBe(1);
  return { engine, source };
}

describe('a visible frame behind a background chunk', () => {
  it('far down a running chunk on a slow link: a visible request of its own, which brings it', async () => {
    const { engine, source } = await withChunksRunning(true);
    const read = engine.getFrame(LEVEL, 200); // 199 frames of chunk 0 before it: ~2 s
    await flush();
    expect(source.requests.at(-1)!.frameNumbers).toEqual([200]);
    await drain(engine, source);
    expect(await read).toEqual(source.frameBytes(URL_A, 200));
    expect(await engine.stats()).toMatchObject({ latencyFrameReads: 2 });
  });

  it('near the delivery front of the chunk: it waits for the chunk, no new request', async () => {
    const { engine, source } = await withChunksRunning(true);
    const sent = source.requests.length;
    const read = engine.getFrame(LEVEL, 3); // 2 frames before it: ~40 ms, under two requests' time
    await flush();
    expect(source.requests).toHaveLength(sent);
    await drain(engine, source);
    expect(await read).toEqual(source.frameBytes(URL_A, 3));
  });

  it('before the link is measured: it waits for the chunk', async () => {
    const { engine, source } = await withChunksRunning(false);
    const sent = source.requests.length;
    const read = engine.getFrame(LEVEL, 200);
    await flush();
    expect(source.requests.length).toBeLessThanOrEqual(sent + 1);
    expect(source.requests.slice(sent).every((r) => r.frameNumbers!.length === 256)).toBe(true);
    await drain(engine, source);
    expect(await read).toEqual(source.frameBytes(URL_A, 200));
  });

  it('with overtakeChunks off (the Service Worker): it waits for the chunk', async () => {
    const { engine, source } = await withChunksRunning(true, false);
    const sent = source.requests.length;
    const read = engine.getFrame(LEVEL, 200);
    await flush();
    expect(source.requests.slice(sent).some((r) => r.frameNumbers!.length === 1)).toBe(false);
    await drain(engine, source);
    expect(await read).toEqual(source.frameBytes(URL_A, 200));
  });
});

// Which background chunk goes next (docs/scheduler.md, "Which chunk goes next"): a queued chunk
// that a visible tile waits on starts at once, and a newer view's chunks go before those an
// older view left queued (a level the user zoomed away from).
import { describe, expect, it } from 'vitest';
import { URL_A, URL_B, drain, flush, makeEngine } from '../helpers/engine.js';

const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);
const A = { url: URL_A, frameCount: 768 };
const B = { url: URL_B, frameCount: 768 };
/**
 * Chunks of 64 frames, blocks of 128 (two chunks), two requests at most: one background chunk
 * runs at a time, so the order in which queued chunks start can be read off the source.
 */
const OPTIONS = { framesPerRequest: 64, framesPerMiss: 128, maxConcurrentRequests: 2 } as const;

function engineOf() {
  return makeEngine({ ...OPTIONS, hint: undefined, wholeInstanceMaxFrames: 0 }, { gated: true });
}

describe('the next background chunk', () => {
  it('a visible tile in a queued chunk starts that chunk at once, before the running one ends', async () => {
    const { engine, source } = engineOf();
    const first = engine.getFrame(A, 1);
    await flush();
    source.release(); // the visible request [1]
    await first;
    await flush();
    // Chunk 0 runs; chunk 1 waits for the one background slot.
    expect(source.requests.map((r) => r.frameNumbers)).toEqual([[1], range(1, 64)]);
    const read = engine.getFrame(A, 100); // in chunk 1, still queued
    await flush();
    expect(source.requests.map((r) => r.frameNumbers)).toEqual([[1], range(1, 64), range(65, 128)]);
    expect(source.pending).toBe(2); // chunk 0 still runs: chunk 1 did not wait for it
    source.release(); // chunk 0
    source.release(); // chunk 1
    expect(await read).toEqual(source.frameBytes(URL_A, 100));
    await drain(engine, source);
    // Then nothing more: nothing was asked twice, and a read that is not in frame order (a
    // view's) gets no chunk read ahead past its own (miss-planner.ts, IN_ORDER_READS).
    expect(source.requests.slice(3).map((r) => r.frameNumbers)).toEqual([]);
  });

  it("a newer view's chunks go before those an older view left queued", async () => {
    const { engine, source } = engineOf();
    const onA = engine.getFrame(A, 1);
    await flush();
    source.release(); // the visible request A [1]; chunk A0 starts, A1 waits
    await onA;
    await flush();
    const onB = engine.getFrame(B, 300); // the user zoomed to another level
    await flush();
    expect(source.requests.map((r) => [r.url, r.frameNumbers])).toEqual([
      [URL_A, [1]],
      [URL_A, range(1, 64)],
      [URL_B, [300]],
    ]);
    source.release(); // chunk A0
    source.release(); // the visible request B [300]
    expect(await onB).toEqual(source.frameBytes(URL_B, 300));
    await drain(engine, source);
    // B's block (chunks 4 and 5, its own first), then what A's view left queued.
    expect(source.requests.slice(3).map((r) => [r.url, r.frameNumbers])).toEqual([
      [URL_B, range(257, 320)],
      [URL_B, range(321, 384)],
      [URL_A, range(65, 128)],
    ]);
  });
});

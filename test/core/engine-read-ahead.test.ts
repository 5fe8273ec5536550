// Read-ahead on a level read in order (docs/worker-cost.md, "Read-ahead's walk"): every visible
// read that waits on a loading frame asks the miss planner for the next chunks, so its cost per
// call must not grow with the chunk size. Counted in lookups, not timed (the machine is shared).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EngineCore } from '../../src/core/engine.js';
import { InFlightRegistry } from '../../src/core/in-flight.js';
import { LinkLearner } from '../../src/core/link-learner.js';
import { IN_ORDER_READS, MissPlanner } from '../../src/core/miss-planner.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import { FakeClock, fakeUid, recordingLogger } from '../helpers/fake-platform.js';
import { FakeSource, type FakeSourceOptions } from '../helpers/fake-source.js';
import { URL_A, drain, flush } from '../helpers/engine.js';

/** The bench's 'jpeg' level 0: 768 frames, 3 aligned chunks of 256. */
const LEVEL = { url: URL_A, frameCount: 768 };

function build(sourceOptions: FakeSourceOptions = {}) {
  const clock = new FakeClock();
  const source = new FakeSource({ clock, gated: true, frameCounts: { [URL_A]: LEVEL.frameCount }, ...sourceOptions });
  const engine = new EngineCore(
    { source, logger: recordingLogger() },
    {
      clock: () => clock,
      timers: () => clock,
      uid: fakeUid,
      createSource: () => source,
      linkLearner: () => new LinkLearner(),
    },
  );
  return { engine, source };
}

afterEach(() => vi.restoreAllMocks());

describe('read-ahead on a level read in order', () => {
  it('costs each waiting read a few lookups, not a walk of the chunks ahead, and reads every frame once', async () => {
    const { engine, source } = build();
    const first = Array.from({ length: 16 }, (_, i) => engine.getFrame(LEVEL, i + 1));
    await flush();
    expect(source.requests.map((r) => r.frameNumbers)).toEqual([Array.from({ length: 16 }, (_, i) => i + 1)]);
    source.release(); // the visible answer; the block behind it (chunks 0 and 1) starts, gated
    await flush(20);
    await Promise.all(first);
    expect(source.requests).toHaveLength(3);

    const lookups = vi.spyOn(InFlightRegistry.prototype, 'isLoading');
    const readAheads = vi.spyOn(MissPlanner.prototype, 'readAhead');
    const rest: Promise<Uint8Array | undefined>[] = [];
    for (let n = 17; n <= LEVEL.frameCount; n++) rest.push(engine.getFrame(LEVEL, n));
    await flush();
    // Each of the 752 reads waits on a loading chunk and asks for read-ahead. Walking the (up to
    // two) chunks after the reader's on every read took 189,920 lookups; now each read costs a few.
    expect(readAheads).toHaveBeenCalledTimes(rest.length);
    expect(lookups.mock.calls.length).toBeLessThan(10 * rest.length);
    // The read that made IN_ORDER_READS in order started the chunk after the block (read-ahead).
    expect(source.requests.map((r) => r.frameNumbers?.[0])).toEqual([1, 1, 257, 513]);

    await drain(engine, source);
    const frames = await Promise.all(rest);
    frames.forEach((bytes, i) => expect(bytes).toEqual(source.frameBytes(URL_A, i + 17)));
    // Nothing asked twice beyond the aligned chunk that re-reads the 16 visible frames.
    expect(source.requests.map((r) => r.frameNumbers?.length)).toEqual([16, 256, 256, 256]);
  });

  it('reads a chunk ahead whose load failed once the reader gets there (nothing lost to the skipped walk)', async () => {
    let failed = false;
    const { engine, source } = build({
      // The third chunk's first answer breaks off before its first frame.
      fail: (request) => {
        if (failed || request.frameNumbers?.[0] !== 513) return undefined;
        failed = true;
        return new FrameCacheError('multipart', 'truncated');
      },
    });
    const first = Array.from({ length: 16 }, (_, i) => engine.getFrame(LEVEL, i + 1));
    await flush();
    source.release();
    await flush(20);
    await Promise.all(first);
    // Reads in the first chunk wait; once IN_ORDER_READS frames were read in order the third chunk
    // starts, and the later waits skip the walk.
    const early = Array.from({ length: IN_ORDER_READS + 2 - 16 }, (_, i) => engine.getFrame(LEVEL, 17 + i));
    await flush();
    expect(source.requests.map((r) => r.frameNumbers?.[0])).toEqual([1, 1, 257, 513]);
    source.release(true); // chunks 0 and 1 arrive, chunk 2 fails
    await flush(20);
    expect(failed).toBe(true);
    await Promise.all(early);
    // A read of the failed chunk misses, and its frames load again.
    const late = [engine.getFrame(LEVEL, 600), engine.getFrame(LEVEL, 601)];
    await drain(engine, source);
    expect(await Promise.all(late)).toEqual([source.frameBytes(URL_A, 600), source.frameBytes(URL_A, 601)]);
    const rest: Promise<Uint8Array | undefined>[] = [];
    for (let n = 513; n <= LEVEL.frameCount; n++) rest.push(engine.getFrame(LEVEL, n));
    await drain(engine, source);
    (await Promise.all(rest)).forEach((bytes, i) => expect(bytes).toEqual(source.frameBytes(URL_A, i + 513)));
  });
});

/**
 * Background chunks start beside a visible answer once its rest will have arrived before a
 * request sent now could get its first byte (docs/scheduler.md, "Background behind a visible
 * answer"): a source whose frames the test hands over one at a time, on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { EngineCore, type FrameCacheEngineOptions } from '../../src/core/engine.js';
import { LinkLearner, type RequestSample } from '../../src/core/link-learner.js';
import type { FrameCallback, FrameSource, SourceRequestOptions } from '../../src/core/ports.js';
import { SLOW_LINK, URL_A, flush } from '../helpers/engine.js';
import { FakeClock, fakeUid, recordingLogger } from '../helpers/fake-platform.js';

const FRAME_BYTES = 1000;
const LEVEL = { url: URL_A, frameCount: 768 };

interface ManualRequest {
  frameNumbers: number[];
  onFrame: FrameCallback;
  opts: SourceRequestOptions;
  sent: number;
  end: () => void;
  ended: boolean;
}

/** Each request waits until the test hands over its frames (`deliver`) and ends it (`end`). */
class ManualSource implements FrameSource {
  readonly requests: ManualRequest[] = [];

  fetchFrames(_url: string, frameNumbers: number[], onFrame: FrameCallback, opts: SourceRequestOptions) {
    return new Promise<void>((resolve, reject) => {
      const request: ManualRequest = {
        frameNumbers,
        onFrame,
        opts,
        sent: 0,
        ended: false,
        end: () => {
          request.ended = true;
          resolve();
        },
      };
      this.requests.push(request);
      opts.signal.addEventListener('abort', () => reject(opts.signal.reason), { once: true });
    });
  }

  fetchInstance(): Promise<{ frameCount: number }> {
    return Promise.reject(new Error('not used'));
  }

  /** Hands over the next `count` frames of a request. */
  deliver(request: ManualRequest, count: number): void {
    for (let i = 0; i < count; i++) {
      const n = request.frameNumbers[request.sent++]!;
      request.onFrame(n, new Uint8Array(FRAME_BYTES).fill(n & 0xff));
    }
  }

  get running(): ManualRequest[] {
    return this.requests.filter((r) => !r.ended);
  }
}

/** A link learner that also keeps every sample it is given. */
class RecordingLearner extends LinkLearner {
  readonly samples: RequestSample[] = [];
  override record(instanceUrl: string, sample: RequestSample): void {
    this.samples.push(sample);
    super.record(instanceUrl, sample);
  }
}

function build(link: LinkLearner = new RecordingLearner(), options: FrameCacheEngineOptions = {}) {
  const clock = new FakeClock();
  const source = new ManualSource();
  const engine = new EngineCore(
    { source, logger: recordingLogger(), framesPerRequest: 256, wholeInstanceMaxFrames: 0, ...options },
    {
      clock: () => clock,
      timers: () => clock,
      uid: fakeUid,
      createSource: () => source,
      linkLearner: () => link,
    },
  );
  return { engine, source, clock, link };
}

/** A first view of frames 1..4: one visible request, its first frame `firstMs` after it went out. */
async function visibleWithFirstFrame(link?: LinkLearner, { firstMs = 80, options = {} } = {}) {
  const built = build(link, options);
  // Settled, not all: the tests that close the engine early leave these reads rejected 'closed'.
  const view = Promise.allSettled([1, 2, 3, 4].map((n) => built.engine.getFrame(LEVEL, n)));
  await flush();
  expect(built.source.requests.map((r) => r.frameNumbers)).toEqual([[1, 2, 3, 4]]);
  const visible = built.source.requests[0]!;
  built.clock.advance(firstMs);
  built.source.deliver(visible, 1);
  await flush();
  return { ...built, view, visible };
}

const chunkStarts = (source: ManualSource) => source.requests.slice(1).map((r) => r.frameNumbers![0]);

describe('background chunks beside a visible answer', () => {
  it('wait while the rate of the answer is unknown', async () => {
    const { source, engine } = await visibleWithFirstFrame();
    expect(source.requests).toHaveLength(1);
    await engine.close();
  });

  it("start once the answer's rest arrives within half its own first-frame time (link unknown)", async () => {
    const { source, clock, engine, visible } = await visibleWithFirstFrame();
    clock.advance(10);
    source.deliver(visible, 1); // 1000 bytes in 10 ms: 2 frames left take 20 ms <= 40 ms
    await flush();
    expect(visible.ended).toBe(false);
    expect(chunkStarts(source)).toEqual([1, 257]);
    await engine.close();
  });

  it('read no rate from frames less than 2 ms after the first', async () => {
    const { source, clock, engine, visible } = await visibleWithFirstFrame();
    clock.advance(1);
    source.deliver(visible, 1); // 1000 bytes/ms would say done, but 1 ms says nothing yet
    await flush();
    expect(source.requests).toHaveLength(1);
    clock.advance(1);
    source.deliver(visible, 1); // 2000 bytes in 2 ms: 1 frame left, 1 ms
    await flush();
    expect(chunkStarts(source)).toEqual([1, 257]);
    await engine.close();
  });

  it('wait while the rest would still be arriving when their first byte could', async () => {
    const { source, clock, engine, visible, view } = await visibleWithFirstFrame();
    clock.advance(100);
    source.deliver(visible, 1); // 10 bytes/ms: 2 frames left take 200 ms > 40 ms
    await flush();
    expect(source.requests).toHaveLength(1);
    source.deliver(visible, 2); // every frame in: the link is free before the answer ends
    await flush();
    expect(visible.ended).toBe(false);
    expect(chunkStarts(source)).toEqual([1, 257]);
    visible.end();
    expect((await view).map((r) => r.status === 'fulfilled' && r.value?.byteLength)).toEqual([1000, 1000, 1000, 1000]);
    await engine.close();
  });

  it('wait after a retry of the answer until every frame is in', async () => {
    const { source, clock, engine, visible } = await visibleWithFirstFrame();
    visible.opts.onRetry?.(1, 'a part was missing');
    clock.advance(10);
    source.deliver(visible, 1); // fast enough without the retry (the second test)
    await flush();
    expect(source.requests).toHaveLength(1);
    source.deliver(visible, 2);
    await flush();
    expect(chunkStarts(source)).toEqual([1, 257]);
    await engine.close();
  });

  it("use the link's measured rate and the quicker of its first frame and the answer's own", async () => {
    const link = new LinkLearner();
    link.record(URL_A, SLOW_LINK); // 80 ms, 100 bytes/ms: one chunk of 256 frames at a time
    const soon = await visibleWithFirstFrame(link);
    // 3 frames left at 100 bytes/ms: 30 ms <= 80 ms, before any rate of the answer itself.
    expect(chunkStarts(soon.source)).toEqual([1]);
    await soon.engine.close();
    const quick = await visibleWithFirstFrame(link, { firstMs: 25 }); // 30 ms > its own 25 ms
    expect(quick.source.requests).toHaveLength(1);
    await quick.engine.close();
  });

  it('keep one slot free beside the visible answer', async () => {
    const { source, clock, engine, visible } = await visibleWithFirstFrame(undefined, {
      options: { maxConcurrentRequests: 3 },
    });
    clock.advance(5); // (an answer over in 5 ms teaches no rate: 2 background slots after it)
    source.deliver(visible, 1);
    await flush();
    expect(chunkStarts(source)).toEqual([1]); // the visible answer, one chunk, one slot free
    source.deliver(visible, 2);
    visible.end();
    await flush();
    expect(chunkStarts(source)).toEqual([1, 257]);
    await engine.close();
  });

  it('count what the link carried for every request of the origin while each answer came', async () => {
    const link = new RecordingLearner();
    const { source, clock, engine, visible } = await visibleWithFirstFrame(link);
    clock.advance(10);
    source.deliver(visible, 1); // frame 2: the rest is close, the chunks start beside it
    await flush();
    const chunk = source.requests[1]!;
    expect(chunk.frameNumbers[0]).toBe(1);
    source.deliver(chunk, 1); // the chunk's first frame, while the visible answer still comes
    source.deliver(visible, 2); // frames 3 and 4
    visible.end();
    await flush();
    clock.advance(50);
    source.deliver(chunk, 255);
    chunk.end();
    await flush();
    // Frame bytes of the origin after each request's own first frame, whoever brought them:
    // the visible answer's 3 and the chunk's first; the visible answer's last 2 and the chunk's 255.
    expect(link.samples.map((s) => [s.frames, s.linkBytes / FRAME_BYTES])).toEqual([
      [4, 4],
      [256, 257],
    ]);
    await engine.close();
  });
});

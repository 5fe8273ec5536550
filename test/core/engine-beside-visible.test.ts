/**
 * Background chunks start beside a visible answer once its rest will have arrived before a
 * request sent now could get its first byte (docs/scheduler.md, "Background behind a visible
 * answer"): a source whose frames the test hands over one at a time, on a fake clock.
 */
import { describe, expect, it } from 'vitest';
import { EngineCore } from '../../src/core/engine.js';
import { LinkLearner } from '../../src/core/link-learner.js';
import type { FrameCallback, FrameSource, SourceRequestOptions } from '../../src/core/ports.js';
import { SLOW_LINK, URL_A, flush } from '../helpers/engine.js';
import { FakeClock, fakeUid, recordingLogger } from '../helpers/fake-platform.js';

const FRAME_BYTES = 1000;
const LEVEL = { url: URL_A, frameCount: 768 };

interface ManualRequest {
  frameNumbers: number[];
  onFrame: FrameCallback;
  sent: number;
  end: () => void;
  ended: boolean;
}

/** Each request waits until the test hands over its frames (`deliver`) and ends it (`end`). */
class ManualSource implements FrameSource {
  readonly requests: ManualRequest[] = [];

  fetchFrames(_url: string, frameNumbers: number[], onFrame: FrameCallback, opts: SourceRequestOptions) {
    return new Promise<void>((resolve, reject) => {
      const request: ManualRequest = { frameNumbers, onFrame, sent: 0, ended: false, end: () => resolve() };
      request.end = () => {
        request.ended = true;
        resolve();
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

function build(link = new LinkLearner()) {
  const clock = new FakeClock();
  const source = new ManualSource();
  const engine = new EngineCore(
    { source, logger: recordingLogger(), framesPerRequest: 256, wholeInstanceMaxFrames: 0 },
    {
      clock: () => clock,
      timers: () => clock,
      uid: fakeUid,
      createSource: () => source,
      linkLearner: () => link,
    },
  );
  return { engine, source, clock };
}

/** A first view of frames 1..4: one visible request, its first frame 80 ms after it went out. */
async function visibleWithFirstFrame(link?: LinkLearner) {
  const built = build(link);
  // Settled, not all: the tests that close the engine early leave these reads rejected 'closed'.
  const view = Promise.allSettled([1, 2, 3, 4].map((n) => built.engine.getFrame(LEVEL, n)));
  await flush();
  expect(built.source.requests.map((r) => r.frameNumbers)).toEqual([[1, 2, 3, 4]]);
  const visible = built.source.requests[0]!;
  built.clock.advance(80);
  built.source.deliver(visible, 1);
  await flush();
  return { ...built, view, visible };
}

describe('background chunks beside a visible answer', () => {
  it('wait while the rate of the answer is unknown', async () => {
    const { source, engine, visible } = await visibleWithFirstFrame();
    expect(source.requests).toHaveLength(1);
    await engine.close();
    expect(visible.sent).toBe(1);
  });

  it("start once the answer's rest arrives within its own first-frame time", async () => {
    const { source, clock, engine, visible } = await visibleWithFirstFrame();
    clock.advance(10);
    source.deliver(visible, 1); // 1000 bytes in 10 ms: 2 frames left take 20 ms <= 80 ms
    await flush();
    expect(visible.ended).toBe(false);
    expect(source.requests.slice(1).map((r) => r.frameNumbers![0])).toEqual([1, 257]);
    await engine.close();
  });

  it('wait while the rest would still be arriving when their first byte could', async () => {
    const { source, clock, engine, visible, view } = await visibleWithFirstFrame();
    clock.advance(100);
    source.deliver(visible, 1); // 10 bytes/ms: 2 frames left take 200 ms > 80 ms
    await flush();
    expect(source.requests).toHaveLength(1);
    source.deliver(visible, 2); // every frame in: the link is free before the answer ends
    await flush();
    expect(visible.ended).toBe(false);
    expect(source.requests.length).toBeGreaterThan(1);
    visible.end();
    expect((await view).map((r) => r.status === 'fulfilled' && r.value?.byteLength)).toEqual([1000, 1000, 1000, 1000]);
    await engine.close();
  });

  it("use the link's measured rate and quickest first frame", async () => {
    const link = new LinkLearner();
    link.record(URL_A, SLOW_LINK); // 80 ms, 100 bytes/ms
    const { source, engine } = await visibleWithFirstFrame(link);
    // 3 frames left at 100 bytes/ms: 30 ms <= 80 ms, before any rate of the answer itself.
    expect(source.requests.length).toBeGreaterThan(1);
    await engine.close();
  });
});

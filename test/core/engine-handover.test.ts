/**
 * The order of a first view's work (docs/worker-cost.md, "The view's requests before its
 * blocks"): a view's visible requests reach the source before the blocks behind them are
 * planned, and on a platform that batches misses (worker, Service Worker, FrameCacheEngine) the
 * background behind a visible answer starts a task after its last frame, once the callers have
 * their frames.
 */
import { describe, expect, it } from 'vitest';
import { EngineCore } from '../../src/core/engine.js';
import type { PlatformDefaults } from '../../src/core/engine.js';
import type { FrameCallback, FrameSource, SourceRequestOptions } from '../../src/core/ports.js';
import { URL_A, URL_B, flush } from '../helpers/engine.js';
import { FakeClock, fakeUid, recordingLogger } from '../helpers/fake-platform.js';

interface Held {
  url: string;
  frameNumbers: number[];
  onFrame: FrameCallback;
  /** The engine's queued requests when this request reached the source. */
  queuedAtSend: Promise<number>;
  end: () => void;
}

/** Holds each request until the test hands its frames over; notes what was queued at its send. */
class HoldingSource implements FrameSource {
  readonly requests: Held[] = [];
  engine: EngineCore | undefined;

  fetchFrames(url: string, frameNumbers: number[], onFrame: FrameCallback, opts: SourceRequestOptions) {
    // stats() reads its gauges when called, so this is the queue at the moment of the send.
    const queuedAtSend = this.engine!.stats().then((s) => s.queued);
    return new Promise<void>((resolve, reject) => {
      this.requests.push({ url, frameNumbers, onFrame, queuedAtSend, end: resolve });
      opts.signal.addEventListener('abort', () => reject(opts.signal.reason), { once: true });
    });
  }

  fetchInstance(): Promise<{ frameCount: number }> {
    return Promise.reject(new Error('not used'));
  }

  deliverAll(request: Held): void {
    for (const n of request.frameNumbers) request.onFrame(n, new Uint8Array(100).fill(n & 0xff));
  }
}

function build(worker: boolean) {
  const clock = new FakeClock();
  const source = new HoldingSource();
  const defaults: PlatformDefaults = {
    clock: () => clock,
    timers: () => clock,
    uid: fakeUid,
    createSource: () => source,
    // A worker's platform: the misses of one task meet in one batch (engine-registry.ts).
    ...(worker ? { batchWindow: { quietMs: 0, maxMs: 16 } } : {}),
  };
  const engine = new EngineCore(
    { source, logger: recordingLogger(), framesPerRequest: 256, wholeInstanceMaxFrames: 0 },
    defaults,
  );
  source.engine = engine;
  return { engine, source, clock };
}

describe("a first view's order of work", () => {
  it('sends every visible request of a batch before the blocks behind them are queued', async () => {
    const { engine, source } = build(false);
    const view = Promise.allSettled([
      ...[1, 2, 3].map((n) => engine.getFrame({ url: URL_A, frameCount: 768 }, n)),
      ...[5, 6].map((n) => engine.getFrame({ url: URL_B, frameCount: 768 }, n)),
    ]);
    await flush();
    expect(source.requests.map((r) => [r.url, r.frameNumbers])).toEqual([
      [URL_A, [1, 2, 3]],
      [URL_B, [5, 6]],
    ]);
    expect(await Promise.all(source.requests.map((r) => r.queuedAtSend))).toEqual([0, 0]);
    // The blocks behind the view were planned right after (queued: the link is not known yet).
    expect((await engine.stats()).queued).toBeGreaterThan(0);
    await engine.close();
    await view;
  });

  it('on a platform with a batch window (the worker), starts the block behind a visible answer a task after its last frame', async () => {
    const { engine, source, clock } = build(true);
    const got: number[] = [];
    const view = [1, 2, 3].map((n) =>
      engine.getFrame({ url: URL_A, frameCount: 768 }, n).then((bytes) => got.push(bytes?.[0] ?? -1)),
    );
    clock.advance(0); // the batch window
    await flush();
    expect(source.requests).toHaveLength(1);
    const visible = source.requests[0]!;
    clock.advance(3);
    source.deliverAll(visible);
    await flush();
    // The callers have their frames; the block behind them waits for the next task.
    expect(got).toEqual([1, 2, 3]);
    expect(source.requests).toHaveLength(1);
    clock.advance(0);
    await flush();
    expect(source.requests.slice(1).map((r) => r.frameNumbers[0])).toEqual([1, 257]);
    visible.end();
    await Promise.all(view);
    await engine.close();
  });

  it('starts a held chunk at once when a visible tile waits on it, and nothing after a close', async () => {
    const { engine, source, clock } = build(true);
    const view = [1, 2, 3].map((n) => engine.getFrame({ url: URL_A, frameCount: 768 }, n));
    clock.advance(0);
    await flush();
    const visible = source.requests[0]!;
    clock.advance(3);
    source.deliverAll(visible);
    await flush();
    expect(source.requests).toHaveLength(1); // held
    // Frame 300 is in the queued chunk 257-512: its caller promotes it, and it starts in the hold.
    const waiting = engine.getFrame({ url: URL_A, frameCount: 768 }, 300);
    await flush();
    expect(source.requests.slice(1).map((r) => r.frameNumbers[0])).toEqual([257]);
    await Promise.all(view);
    await engine.close();
    await expect(waiting).rejects.toMatchObject({ code: 'closed' });
    clock.advance(0); // the hold's task runs after the close: it starts nothing
    await flush();
    expect(source.requests).toHaveLength(2);
  });

  it('without a batch window (the pure core), starts it with the last frame', async () => {
    const { engine, source, clock } = build(false);
    const view = Promise.all([1, 2, 3].map((n) => engine.getFrame({ url: URL_A, frameCount: 768 }, n)));
    await flush();
    const visible = source.requests[0]!;
    clock.advance(3);
    source.deliverAll(visible);
    await flush();
    expect(source.requests.slice(1).map((r) => r.frameNumbers[0])).toEqual([1, 257]);
    visible.end();
    await view;
    await engine.close();
  });
});

/**
 * Edge cases of the facade and the worker host found by a review (2026-12-06); each test failed
 * before its fix: calls pending at close(), a frame transferred against the contract, the hot
 * tier's reads in stats(), one tab's resetStats() in shared mode, a page without
 * crypto.randomUUID (plain HTTP), a clone made while the worker starts. Node, over in-process
 * MessageChannels, as test/page does.
 */
import type { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FrameCache, type FrameCacheFacadeOptions } from '../../src/page/frame-cache.js';
import { WorkerHost } from '../../src/worker/worker-host.js';
import { DedicatedRegistry, SharedRegistry, type EngineRegistry } from '../../src/worker/engine-registry.js';
import { FakeSource, type FakeSourceOptions } from '../helpers/fake-source.js';
import { inProcessWorker } from '../helpers/in-process-worker.js';
import { URL_A } from '../helpers/engine.js';

const inst = (url: string, frameCount: number) => ({ url, frameCount });

const open: FrameCache[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

function makeCache(options: FrameCacheFacadeOptions = {}, sourceOptions: FakeSourceOptions = {}) {
  const source = new FakeSource(sourceOptions);
  const ports: MessagePort[] = [];
  const cache = new FrameCache({
    createWorker: inProcessWorker(() => new WorkerHost({ engineOptions: { source } }), ports),
    hint: 'minimize-requests',
    ...options,
  });
  open.push(cache);
  return { cache, source, ports };
}

/** Two tabs on one shared worker: one SharedRegistry, a WorkerHost per tab (frame-cache.shared-worker.ts). */
function twoTabs(options: FrameCacheFacadeOptions = {}, sourceOptions: FakeSourceOptions = {}) {
  const source = new FakeSource(sourceOptions);
  const registry = new SharedRegistry({ source });
  const make = () => {
    const cache = new FrameCache({
      createWorker: inProcessWorker(() => new WorkerHost({ registry, packAnswers: true })),
      hint: 'minimize-requests',
      ...options,
    });
    open.push(cache);
    return cache;
  };
  return { a: make(), b: make(), source };
}

/** Lets queued tasks (port messages, timers of 0 ms) run; enough for any in-process answer. */
async function settleTasks(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** How `promise` settled so far ('pending' until it does); handled from the start. */
function track(promise: Promise<unknown>): { seen: string } {
  const tracked = { seen: 'pending' };
  promise.then(
    () => (tracked.seen = 'resolved'),
    (error: { code?: string }) => (tracked.seen = `rejected:${error?.code ?? String(error)}`),
  );
  return tracked;
}

describe('close() while calls run', () => {
  it('shared worker: a getFrame pending when its tab closes the cache rejects with closed (it hangs)', async () => {
    const { a, b, source } = twoTabs({ wholeInstanceMaxFrames: 0, framesPerMiss: 1 }, { gated: true });
    await Promise.all([a.stats(), b.stats()]); // both engines made: one shared engine
    const pending = a.getFrame(inst(URL_A, 4), 1);
    const settled = track(pending);
    await expect.poll(() => source.pending).toBe(1);
    await a.close();
    source.release(true);
    // The load ends (tab B sees the frame), yet tab A's caller never hears back.
    expect(await b.getFrame(inst(URL_A, 4), 1)).toEqual(source.frameBytes(URL_A, 1));
    await settleTasks();
    expect(settled.seen).toBe('rejected:closed');
  });

  it('dedicated worker: a getFrame pending when the cache closes settles', async () => {
    const { cache, source } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 1 }, { gated: true });
    await cache.stats();
    const pending = cache.getFrame(inst(URL_A, 4), 1);
    const settled = track(pending);
    await expect.poll(() => source.pending).toBe(1);
    await cache.close();
    await settleTasks();
    expect(settled.seen).toBe('rejected:closed');
  });
});

describe('getFrame: a frame transferred against the contract (README: "do not transfer them")', () => {
  it('a caller that transfers the buffer getFrame gave it does not empty the next caller’s frame', async () => {
    const { cache, source } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 1 });
    const a = inst(URL_A, 4);
    const first = (await cache.getFrame(a, 1))!;
    expect(first.buffer.byteLength).toBe(first.byteLength); // a buffer of that frame only
    structuredClone(first.buffer, { transfer: [first.buffer] }); // e.g. posted to a decoder worker
    const again = (await cache.getFrame(a, 1))!; // a hot-tier hit: the very buffer just transferred
    expect(again.byteLength).toBe(source.frameBytes(URL_A, 1).byteLength); // 0: detached
    expect(again).toEqual(source.frameBytes(URL_A, 1));
  });
});

describe('stats() with the hot tier', () => {
  it('shared worker: stats().tab.hits counts the tab’s hot-tier hits, as stats().hits does', async () => {
    const { a } = twoTabs({ wholeInstanceMaxFrames: 0, framesPerMiss: 1 });
    await a.getFrame(inst(URL_A, 4), 1); // miss
    await a.getFrame(inst(URL_A, 4), 1); // hot-tier hit
    const stats = await a.stats();
    expect(stats.hits).toBe(1);
    expect(stats.tab).toEqual({ hits: 1, misses: 1 });
  });

  it('lastFrameRead covers frames read from the hot tier', async () => {
    const { cache } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 4 });
    const a = inst(URL_A, 8);
    await cache.getFrame(a, 1); // miss: frames 2-4 are pushed to the hot tier
    await expect.poll(() => cache.hotFrameCount).toBe(4);
    await cache.getFrame(a, 4); // a read of frame 4, answered by the hot tier
    const stats = await cache.stats();
    expect(stats.hits).toBe(1);
    expect(stats.lastFrameRead).toBe(4);
  });
});

describe('stats() in shared mode', () => {
  it('one tab’s resetStats() zeroes the shared totals and every tab’s part with them (never a total below a part)', async () => {
    const { a, b } = twoTabs({ wholeInstanceMaxFrames: 0, framesPerMiss: 1, hotBytes: 0 });
    await b.getFrame(inst(URL_A, 4), 1); // miss
    await b.getFrame(inst(URL_A, 4), 1); // worker hit
    await a.getFrame(inst(URL_A, 4), 1); // worker hit
    await a.resetStats();
    const zeroed = await b.stats();
    expect([zeroed.hits, zeroed.misses]).toEqual([0, 0]);
    expect(zeroed.tab).toEqual({ hits: 0, misses: 0 });
    await b.getFrame(inst(URL_A, 4), 2); // miss
    await a.getFrame(inst(URL_A, 4), 2); // worker hit
    const [ofA, ofB] = await Promise.all([a.stats(), b.stats()]);
    expect(ofB.tab).toEqual({ hits: 0, misses: 1 });
    expect(ofA.tab).toEqual({ hits: 1, misses: 0 });
    // "every other field is the total of all tabs"
    expect([ofB.hits, ofB.misses]).toEqual([1, 1]);
    expect([ofA.hits, ofA.misses]).toEqual([1, 1]);
  });
});

describe('a page outside a secure context (http:// intranet: no crypto.randomUUID)', () => {
  it('new FrameCache() does not throw a TypeError, and reads frames', async () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: real.getRandomValues.bind(real), subtle: real.subtle });
    try {
      let made: ReturnType<typeof makeCache> | undefined;
      expect(() => (made = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 1 }))).not.toThrow();
      expect(await made!.cache.getFrame(inst(URL_A, 4), 1)).toEqual(made!.source.frameBytes(URL_A, 1));
    } finally {
      vi.unstubAllGlobals();
    }
  });
});

describe('clone() while the worker starts', () => {
  it('a clone made before the handshake ends gets one engine in the worker, not two (the first leaks, never closed)', async () => {
    const source = new FakeSource();
    const inner = new DedicatedRegistry({ source });
    const made: number[] = [];
    const registry: EngineRegistry = {
      acquire: (request, callbacks, parent) => {
        made.push(request.engineId);
        return inner.acquire(request, callbacks, parent);
      },
    };
    const cache = new FrameCache({ createWorker: inProcessWorker(() => new WorkerHost({ registry })) });
    open.push(cache);
    const copy = cache.clone(); // same task as the constructor: the worker is still starting
    open.push(copy);
    await Promise.all([cache.stats(), copy.stats()]);
    expect(made).toHaveLength(2); // one engine per FrameCache
  });
});

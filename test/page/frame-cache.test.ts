/**
 * The facade and the worker API over an in-process MessageChannel (comlink's own pattern):
 * the same WorkerHost the worker file exposes, with a recording fake source.
 */
import type { MessagePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameCacheError } from '../../src/shared/errors.js';
import { FrameCache, type FrameCacheFacadeOptions } from '../../src/page/frame-cache.js';
import { WorkerHost } from '../../src/worker/worker-host.js';
import type { WorkerLike } from '../../src/page/worker-connection.js';
import { FakeSource, type FakeSourceOptions } from '../helpers/fake-source.js';
import { inProcessWorker } from '../helpers/in-process-worker.js';
import { URL_A, URL_B } from '../helpers/engine.js';
import { buildMultipart, noiseBytes, orthancContentType, orthancFrameHeaders } from '../helpers/multipart-builder.js';

const inst = (url: string, frameCount: number) => ({ url, frameCount });

interface Harness {
  cache: FrameCache;
  source: FakeSource;
  ports: MessagePort[];
  workersMade: () => number;
}

const open: FrameCache[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function makeCache(options: FrameCacheFacadeOptions = {}, sourceOptions: FakeSourceOptions = {}): Harness {
  const source = new FakeSource(sourceOptions);
  const ports: MessagePort[] = [];
  let made = 0;
  const make = inProcessWorker(() => new WorkerHost({ engineOptions: { source } }), ports);
  const createWorker = (): WorkerLike => {
    made++;
    return make();
  };
  // The original's policy unless a test asks for another: these tests pin exact requests; the
  // visible-first default has its own test below and in test/core/engine-visible-first.test.ts.
  const cache = new FrameCache({ createWorker, hint: 'minimize-requests', ...options });
  open.push(cache);
  return { cache, source, ports, workersMade: () => made };
}

describe('FrameCache (over a MessageChannel)', () => {
  it('reads frames through the worker, then from the hot tier without a round trip', async () => {
    const { cache, source } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 4 });
    const a = inst(URL_A, 10);
    expect(await cache.getFrame(a, 2)).toEqual(source.frameBytes(URL_A, 2));
    const again = await cache.getFrame(a, 2);
    expect(again).toEqual(source.frameBytes(URL_A, 2));
    const stats = await cache.stats();
    expect(stats).toMatchObject({ misses: 1, hits: 1, requests: 1 });
    expect(source.requests).toHaveLength(1);
  });

  it('by default sends the misses of one task as one visible request, then the aligned block behind it', async () => {
    const { cache, source } = makeCache({ hint: undefined, wholeInstanceMaxFrames: 0 });
    const level = inst(URL_A, 768);
    const view = [3, 4, 35, 36, 37];
    const frames = await Promise.all(view.map((n) => cache.getFrame(level, n)));
    frames.forEach((bytes, i) => expect(bytes).toEqual(source.frameBytes(URL_A, view[i]!)));
    expect(source.requests[0]!.frameNumbers).toEqual(view);
    await cache.waitForLoads();
    // Chunks of 256 (768 frames in 3), the block of framesPerMiss 500 rounded to 2 of them.
    expect(source.requests.slice(1).map((r) => r.frameNumbers!.length)).toEqual([256, 256]);
    expect(await cache.stats()).toMatchObject({ misses: 5, latencyFrameReads: 5, blockedMs: 0 });
  });

  it('answers many frames in one call, mixing hot hits and worker reads', async () => {
    const { cache, source } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 8 });
    const a = inst(URL_A, 20);
    await cache.getFrame(a, 1);
    const frames = await cache.getFrames(a, [1, 2, 3, 12]);
    expect(frames).toEqual([1, 2, 3, 12].map((n) => source.frameBytes(URL_A, n)));
  });

  it('getFrames copies once: the frames are views of one answer buffer, the hot tier gets its own copies a task later', async () => {
    const { cache, source } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 8 });
    const a = inst(URL_A, 8);
    await cache.preload({ [URL_A]: [1, 2, 3, 4, 5, 6, 7, 8] });
    const frames = await cache.getFrames(a, [1, 2, 3]);
    expect(frames).toEqual([1, 2, 3].map((n) => source.frameBytes(URL_A, n)));
    expect(new Set(frames.map((f) => f!.buffer)).size).toBe(1);
    expect(cache.hotFrameCount).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(cache.hotFrameCount).toBe(3);
    const hot = (await cache.getFrame(a, 2))!;
    expect(hot).toEqual(source.frameBytes(URL_A, 2));
    expect(hot.buffer).not.toBe(frames[1]!.buffer); // a hot entry never pins the batch
    expect(hot.buffer.byteLength).toBe(hot.byteLength);
    expect(await cache.stats()).toMatchObject({ hits: 4 });
    // Cleared before the task ran: nothing of that answer is kept.
    await cache.getFrames(a, [6, 7]);
    const cleared = cache.clear();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await cleared;
    expect(cache.hotFrameCount).toBe(0);
  });

  it('getFrame and getFrames travel on the frame channel, not through Comlink', async () => {
    const source = new FakeSource();
    const host = new WorkerHost({ engineOptions: { source } });
    const viaComlink: string[] = [];
    host.getFrame = async () => (viaComlink.push('getFrame'), { ok: true, value: undefined });
    host.getFrames = async () => (
      viaComlink.push('getFrames'),
      { ok: true, value: { buffer: new ArrayBuffer(0), lengths: [] } }
    );
    const createWorker = inProcessWorker(() => host);
    const cache = new FrameCache({ createWorker, wholeInstanceMaxFrames: 0, framesPerMiss: 4, hotBytes: 0 });
    open.push(cache);
    const a = inst(URL_A, 4);
    expect(await cache.getFrame(a, 1)).toEqual(source.frameBytes(URL_A, 1));
    expect(await cache.getFrames(a, [2, 3])).toEqual([2, 3].map((n) => source.frameBytes(URL_A, n)));
    expect(viaComlink).toEqual([]);
  });

  it('a frame handed out stays intact when the caller gets it again (the cached buffer is never transferred away)', async () => {
    const { cache } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 2, hotBytes: 0 });
    const first = (await cache.getFrame(inst(URL_A, 4), 1))!;
    const second = (await cache.getFrame(inst(URL_A, 4), 1))!;
    expect(first.byteLength).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });

  it('a FrameCacheError thrown in the worker arrives with its class and code', async () => {
    const { cache } = makeCache();
    const error = await cache.clear({ bogus: true } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FrameCacheError);
    expect(error).toMatchObject({ code: 'invalid-option' });
    const timeout = await (async () => {
      const slow = makeCache({ wholeInstanceMaxFrames: 0 }, { gated: true });
      await slow.cache.getFrame(inst(URL_A, 3), 1, { hint: 'no-wait' });
      const e = await slow.cache.waitForLoads(undefined, { timeoutMs: 1 }).catch((x: unknown) => x);
      slow.source.release(true);
      return e;
    })();
    expect(timeout).toBeInstanceOf(FrameCacheError);
    expect(timeout).toMatchObject({ code: 'timeout' });
  });

  it('validates arguments on the main thread with the engine’s messages', async () => {
    const { cache, source } = makeCache();
    await expect(cache.getFrame(inst(URL_A, 3), 4)).rejects.toMatchObject({ code: 'invalid-frame-number' });
    await expect(cache.getFrames(inst(URL_A, 3), [1, 0])).rejects.toMatchObject({ code: 'invalid-frame-number' });
    expect(
      () =>
        new FrameCache({
          createWorker: () => {
            throw new Error('unused');
          },
          hotBytes: -1,
        }),
    ).toThrow(/`hotBytes`/);
    expect(source.requests).toHaveLength(0);
  });

  it('a signal aborts the caller at once and the worker drops the queued request', async () => {
    const { cache, source } = makeCache(
      { wholeInstanceMaxFrames: 0, framesPerMiss: 1, maxConcurrentRequests: 1 },
      { gated: true },
    );
    const a = inst(URL_A, 10);
    const first = cache.getFrame(a, 1);
    const controller = new AbortController();
    const second = cache.getFrame(a, 2, { signal: controller.signal });
    await cache.stats(); // both calls reached the worker
    controller.abort(new Error('scrolled away'));
    await expect(second).rejects.toThrow('scrolled away');
    await expect.poll(async () => (await cache.stats()).cancelled).toBe(1);
    source.release(true);
    await first;
    expect(source.requests.map((r) => r.frameNumbers)).toEqual([[1]]);
  });

  it('calls the headers function on the main thread, per request, with its URL; the worker sends what it returns', async () => {
    const seen: string[] = [];
    const sent: (string | undefined)[] = [];
    const fetch = async (url: string, init?: { headers?: Record<string, string> }) => {
      sent.push(init?.headers?.['Authorization']);
      const n = Number(url.split('/frames/')[1]);
      const body = buildMultipart([{ headers: orthancFrameHeaders(URL_A, n, 10), body: noiseBytes(10, n) }], {
        boundary: 'b1',
      });
      return new Response(body as BodyInit, { headers: { 'content-type': orthancContentType('b1') } });
    };
    const cache = new FrameCache({
      createWorker: inProcessWorker(() => new WorkerHost({ engineOptions: { fetch: fetch as never } })),
      hint: 'minimize-requests', // exactly one request
      wholeInstanceMaxFrames: 0,
      framesPerMiss: 1,
      headers: (url) => {
        seen.push(url);
        return { Authorization: `Bearer token-for-${url.length}` };
      },
    });
    open.push(cache);
    expect(await cache.getFrame(inst(URL_A, 3), 2)).toEqual(noiseBytes(10, 2));
    expect(seen).toEqual([`${URL_A}/frames/2`]);
    expect(sent).toEqual([`Bearer token-for-${seen[0]!.length}`]);
  });

  it('preload reports progress across the boundary and copyFrom another cache sends no request', async () => {
    const warm = makeCache();
    const progress: [number, number][] = [];
    await warm.cache.preload({ [URL_A]: [1, 2, 3] }, { onProgress: (d, t) => progress.push([d, t]) });
    expect(progress.at(-1)).toEqual([3, 3]);
    const cold = makeCache();
    await cold.cache.preload({ [URL_A]: [1, 2, 3] }, { copyFrom: warm.cache });
    expect(cold.source.requests).toHaveLength(0);
    expect(await cold.cache.getCachedFrame(URL_A, 3)).toEqual(warm.source.frameBytes(URL_A, 3));
    expect((await cold.cache.stats()).hits).toBe(0);
  });

  it('clone() keeps the uid and settings, shares the worker, starts empty', async () => {
    const { cache, workersMade } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 2 });
    await cache.getFrame(inst(URL_A, 4), 1);
    const copy = cache.clone();
    open.push(copy);
    expect(copy.cacheInstanceUid).toBe(cache.cacheInstanceUid);
    expect(await copy.getCachedFrame(URL_A, 1)).toBeUndefined();
    expect(workersMade()).toBe(1);
    await copy.close();
    expect(await cache.getCachedFrame(URL_A, 1)).toBeDefined(); // the original lives on
  });

  it('clear() empties the hot tier and the worker: no stale frame after it', async () => {
    const { cache, source } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 1 });
    await cache.getFrame(inst(URL_A, 2), 1);
    await cache.clear();
    expect(await cache.getCachedFrame(URL_A, 1)).toBeUndefined();
    await cache.getFrame(inst(URL_A, 2), 1);
    expect(source.requests).toHaveLength(2);
  });

  it('external bytes round-trip and the caller keeps its buffer', async () => {
    const { cache } = makeCache();
    const mine = new Uint8Array([1, 2, 3]);
    expect(await cache.putExternal('k', mine)).toBe(true);
    expect(mine.byteLength).toBe(3);
    expect(await cache.getExternal('k')).toEqual(mine);
  });

  it('after close() every call rejects with closed', async () => {
    const { cache } = makeCache();
    await cache.close();
    await expect(cache.getFrame(inst(URL_A, 1), 1)).rejects.toMatchObject({ code: 'closed' });
    await expect(cache.stats()).rejects.toMatchObject({ code: 'closed' });
  });

  it('a worker that dies rejects pending calls with worker-crashed; the next call starts a fresh worker', async () => {
    const { cache, source, ports, workersMade } = makeCache(
      { wholeInstanceMaxFrames: 0, framesPerMiss: 1 },
      { gated: true },
    );
    const pending = cache.getFrame(inst(URL_A, 3), 1);
    await expect.poll(() => source.pending).toBe(1);
    ports[0]!.dispatchEvent(new Event('error') as never);
    await expect(pending).rejects.toMatchObject({ code: 'worker-crashed' });
    source.release(true);
    const next = cache.getFrame(inst(URL_B, 3), 2);
    await expect.poll(() => source.pending).toBe(1);
    source.release(true);
    expect(await next).toEqual(source.frameBytes(URL_B, 2));
    expect(workersMade()).toBe(2);
  });
});

describe('FrameCache calls once the worker is up (straight onto the frame channel)', () => {
  it('a worker that dies rejects them with worker-crashed too', async () => {
    const { cache, source, ports } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 1 }, { gated: true });
    const first = cache.getFrame(inst(URL_A, 3), 1);
    await expect.poll(() => source.pending).toBe(1);
    source.release(true);
    expect(await first).toEqual(source.frameBytes(URL_A, 1));
    const pending = [cache.getFrame(inst(URL_A, 3), 2), cache.getFrames(inst(URL_A, 3), [3])];
    await expect.poll(() => source.pending).toBeGreaterThan(0);
    ports[0]!.dispatchEvent(new Event('error') as never);
    for (const call of pending) await expect(call).rejects.toMatchObject({ code: 'worker-crashed' });
    source.release(true);
  });
});

describe('FrameCache frame push (over a MessageChannel)', () => {
  it('pushes the frames of a block being read into the hot tier', async () => {
    const { cache, source } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 4 });
    await cache.getFrame(inst(URL_A, 8), 1);
    await expect.poll(() => cache.hotFrameCount).toBe(4);
    expect(source.requests).toHaveLength(1);
  });

  it('drops frames pushed before a clear(): no stale frame comes back to the hot tier', async () => {
    const { cache } = makeCache({ wholeInstanceMaxFrames: 0, framesPerMiss: 4 });
    await cache.getFrame(inst(URL_A, 8), 1);
    await cache.clear(); // packets for frames 2-4 may still be on their way
    expect(cache.hotFrameCount).toBe(0);
    // A later read's push travels on the same channel, after any older packet.
    await cache.getFrame(inst(URL_B, 8), 1);
    await expect.poll(() => cache.hotFrameCount).toBe(4);
    expect(await cache.getFrames(inst(URL_B, 8), [1, 2, 3, 4])).toHaveLength(4);
    expect(cache.hotFrameCount).toBe(4); // only URL_B's block: nothing of URL_A came back
  });
});

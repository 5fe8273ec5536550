/**
 * FrameCache (facade over an in-process worker) against FrameCacheEngine for the same input:
 * edge cases of the public API where the two disagreed or broke the README contract. Found by a
 * review (2026-12-06); each test failed before its fix (docs/reliability.md).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FrameCache, type FrameCacheFacadeOptions } from '../../src/page/frame-cache.js';
import { FrameCacheEngine } from '../../src/platform/frame-cache-engine.js';
import { WorkerHost } from '../../src/worker/worker-host.js';
import { FakeSource } from '../helpers/fake-source.js';
import { inProcessWorker } from '../helpers/in-process-worker.js';
import { URL_A, makeEngine } from '../helpers/engine.js';

const inst = (url: string, frameCount: number) => ({ url, frameCount });

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((c) => c.close()));
});

function makeCache(options: FrameCacheFacadeOptions = {}) {
  const source = new FakeSource();
  const cache = new FrameCache({
    createWorker: inProcessWorker(() => new WorkerHost({ engineOptions: { source } })),
    hint: 'minimize-requests',
    ...options,
  });
  open.push(cache);
  return { cache, source };
}

function engine() {
  const made = makeEngine();
  open.push(made.engine);
  return made;
}

async function codeOf(run: () => unknown): Promise<string> {
  try {
    await run();
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('options', () => {
  it('httpCache reaches the worker engine: FrameCache({ httpCache: "no-store" }) sends cache "no-store"', async () => {
    const modes: (string | undefined)[] = [];
    const fetch = async (_url: string, init?: { cache?: string }) => {
      modes.push(init?.cache);
      return new Response('', { status: 404 });
    };
    const cache = new FrameCache({
      createWorker: inProcessWorker(() => new WorkerHost({ engineOptions: { fetch: fetch as never, maxRetries: 0 } })),
      httpCache: 'no-store',
      hint: 'minimize-requests',
      wholeInstanceMaxFrames: 0,
      framesPerMiss: 1,
    });
    open.push(cache);
    await cache.getFrame(inst(URL_A, 1), 1);
    expect(modes.length).toBeGreaterThan(0);
    expect(modes).toEqual(modes.map(() => 'no-store'));
  });

  it('null options: FrameCacheEngine refuses them with invalid-option as FrameCache does', async () => {
    const facade = await codeOf(() => new FrameCache(null as never));
    const core = await codeOf(() => {
      const e = new FrameCacheEngine(null as never, undefined);
      open.push(e);
    });
    expect(facade).toBe('invalid-option');
    expect(core).toBe(facade);
  });
});

describe('after close()', () => {
  it('FrameCacheEngine.stats() and resetStats() reject with closed, as FrameCache does', async () => {
    const { cache } = makeCache();
    await cache.close();
    const { engine: core } = engine();
    await core.close();
    expect(await codeOf(() => cache.stats())).toBe('closed');
    expect(await codeOf(() => cache.resetStats())).toBe('closed');
    expect(await codeOf(() => core.stats())).toBe('closed');
    expect(await codeOf(() => core.resetStats())).toBe('closed');
  });

  it('FrameCacheEngine.clone() of a closed cache throws closed, as FrameCache does', async () => {
    const { cache } = makeCache();
    await cache.close();
    const { engine: core } = engine();
    await core.close();
    expect(await codeOf(() => cache.clone())).toBe('closed');
    expect(
      await codeOf(() => {
        open.push(core.clone());
      }),
    ).toBe('closed');
  });
});

describe('preload copyFrom', () => {
  it('copyFrom a closed cache rejects with closed in both classes', async () => {
    const { cache } = makeCache();
    const { engine: core } = engine();
    await cache.getFrame(inst(URL_A, 4), 1);
    await core.getFrame(inst(URL_A, 4), 1);
    const cacheChild = cache.clone();
    const coreChild = core.clone();
    open.push(cacheChild, coreChild);
    await cache.close();
    await core.close();
    expect(await codeOf(() => cacheChild.preload({ [URL_A]: [1] }, { copyFrom: cache }))).toBe('closed');
    expect(await codeOf(() => coreChild.preload({ [URL_A]: [1] }, { copyFrom: core }))).toBe('closed');
  });
});

describe('aborted signal', () => {
  it('getFrame of a frame in memory with an already aborted signal rejects with signal.reason in both classes', async () => {
    const { cache } = makeCache({ hotBytes: 0 });
    const { engine: core } = engine();
    await cache.getFrame(inst(URL_A, 4), 1);
    await core.getFrame(inst(URL_A, 4), 1);
    const controller = new AbortController();
    const reason = new Error('gone');
    controller.abort(reason);
    await expect(cache.getFrame(inst(URL_A, 4), 1, { signal: controller.signal })).rejects.toBe(reason);
    await expect(core.getFrame(inst(URL_A, 4), 1, { signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('getCachedFrame', () => {
  it('a hot-tier frame transferred by its caller is not handed out empty', async () => {
    const { cache, source } = makeCache();
    const bytes = (await cache.getFrame(inst(URL_A, 4), 1))!;
    expect(cache.hotFrameCount).toBeGreaterThan(0);
    structuredClone(bytes.buffer, { transfer: [bytes.buffer as ArrayBuffer] }); // against the README
    expect(bytes.byteLength).toBe(0);
    // getFrame skips the detached view and asks the worker; getCachedFrame hands it out.
    const cached = await cache.getCachedFrame(URL_A, 1);
    expect(cached?.byteLength).toBe(source.frameBytes(URL_A, 1).byteLength);
  });
});

describe('validation of call options', () => {
  it('cacheWholeInstance / waitForLoads with a function for an option: invalid-option in both classes (FrameCache: worker-crashed)', async () => {
    const { cache } = makeCache();
    const { engine: core } = engine();
    const fn = () => true;
    for (const c of [core, cache] as const) {
      expect(await codeOf(() => c.cacheWholeInstance(inst(URL_A, 4), { blocking: fn as never }))).toBe(
        'invalid-option',
      );
      expect(await codeOf(() => c.waitForLoads(undefined, { timeoutMs: fn as never }))).toBe('invalid-option');
    }
  });

  it('putExternal with a bad key and bad bytes names the same argument in both classes', async () => {
    const { cache } = makeCache();
    const { engine: core } = engine();
    const message = async (c: { putExternal(k: string, b: Uint8Array): Promise<boolean> }) => {
      try {
        await c.putExternal(42 as never, 'x' as never);
        return 'resolved';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(await message(cache)).toBe(await message(core));
  });
});

// What the transport tells HTTP caches (docs/http-caching.md): by default nothing that stops the
// browser's cache or a proxy from answering (no `cache` mode, no Cache-Control/Pragma request
// header, no per-user query string); the fetch mode an app asks for reaches fetch unchanged.
import { describe, expect, it } from 'vitest';
import type { FetchLike, RequestInitLike, Timers } from '../../src/core/ports.js';
import { DicomwebSource, FRAMES_ACCEPT } from '../../src/transport/dicomweb-source.js';
import { HTTP_CACHE_MODES, type HttpCacheMode } from '../../src/transport/http.js';
import {
  ORTHANC_LIKE_BOUNDARY,
  buildMultipart,
  orthancContentType,
  orthancFrameHeaders,
} from '../helpers/multipart-builder.js';

const INSTANCE = 'http://127.0.0.1:1/dicom-web/studies/1/series/2/instances/3';

const timers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A fetch that records each init and answers the frames asked for. */
function framesFetch(): { fetch: FetchLike; inits: { url: string; init: RequestInitLike & { cache?: string } }[] } {
  const inits: { url: string; init: RequestInitLike & { cache?: string } }[] = [];
  const fetch = (async (url: string, init?: RequestInitLike) => {
    inits.push({ url, init: init ?? {} });
    const frames = url
      .slice(url.lastIndexOf('/') + 1)
      .split(',')
      .map(Number);
    const parts = frames.map((n) => ({
      headers: orthancFrameHeaders(INSTANCE, n, 4),
      body: new Uint8Array([n, 1, 2, 3]),
    }));
    const body = buildMultipart(parts, { boundary: ORTHANC_LIKE_BOUNDARY });
    return new Response(body as BodyInit, { headers: { 'content-type': orthancContentType() } });
  }) as unknown as FetchLike;
  return { fetch, inits };
}

async function readFrames(cache: HttpCacheMode | undefined, headers?: Record<string, string>) {
  const { fetch, inits } = framesFetch();
  const source = new DicomwebSource({ fetch, headers, timers, requestTimeoutMs: 5000, maxRetries: 0, cache });
  const got: number[] = [];
  await source.fetchFrames(INSTANCE, [5, 6, 7], (n) => got.push(n), { signal: new AbortController().signal });
  expect(got).toEqual([5, 6, 7]);
  return inits;
}

describe('DicomwebSource and HTTP caches', () => {
  it('sends no cache mode and no cache-defeating header by default', async () => {
    const [request, ...rest] = await readFrames(undefined, { Authorization: 'Bearer t' });
    expect(rest).toEqual([]);
    expect(request!.url).toBe(`${INSTANCE}/frames/5,6,7`);
    expect('cache' in request!.init).toBe(false);
    const names = Object.keys(request!.init.headers ?? {}).map((name) => name.toLowerCase());
    expect(names.sort()).toEqual(['accept', 'authorization']);
    expect(request!.init.headers?.['Accept']).toBe(FRAMES_ACCEPT);
  });

  it.each(HTTP_CACHE_MODES)("passes the cache mode '%s' the app asked for to fetch", async (mode) => {
    const inits = await readFrames(mode);
    expect(inits.map((entry) => entry.init.cache)).toEqual([mode]);
  });

  it('asks for the same URL and Accept for the same frames whatever the headers', async () => {
    const a = await readFrames(undefined, { Authorization: 'Bearer a' });
    const b = await readFrames(undefined);
    expect(a.map((entry) => [entry.url, entry.init.headers?.['Accept']])).toEqual(
      b.map((entry) => [entry.url, entry.init.headers?.['Accept']]),
    );
  });
});

describe('the httpCache option', () => {
  it('reaches fetch from FrameCacheEngine options, and is absent when unset', async () => {
    const { FrameCacheEngine } = await import('../../src/platform/frame-cache-engine.js');
    for (const httpCache of [undefined, 'no-store'] as const) {
      const { fetch, inits } = framesFetch();
      const engine = new FrameCacheEngine({ fetch, httpCache, maxRetries: 0 });
      expect(await engine.getFrame({ url: INSTANCE, frameCount: 1 }, 1)).toEqual(new Uint8Array([1, 1, 2, 3]));
      await engine.close();
      expect(inits.length).toBeGreaterThan(0);
      for (const { init } of inits) expect(init.cache).toBe(httpCache);
      if (httpCache === undefined) for (const { init } of inits) expect('cache' in init).toBe(false);
    }
  });

  it('rejects a mode fetch does not take, naming the value', async () => {
    const { FrameCacheEngine } = await import('../../src/platform/frame-cache-engine.js');
    expect(() => new FrameCacheEngine({ httpCache: 'only-if-cached' as never })).toThrow(/`httpCache`.*only-if-cached/);
  });
});

// Privacy (credentials never dropped, never sent where not meant, never served across auth
// scopes, never in a log) and the link / mode learners fed degenerate samples. Found by a review
// (2026-12-06); each test failed before its fix (docs/reliability.md, "Found by an adversarial
// review").
import { describe, expect, it } from 'vitest';
import { LinkLearner, type RequestSample } from '../../src/core/link-learner.js';
import { resolveOptions } from '../../src/core/options.js';
import type { FetchLike, RequestInitLike } from '../../src/core/ports.js';
import { FrameServer } from '../../src/service-worker/frame-server.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import { runWithRetries } from '../../src/transport/http.js';
import { SharedRegistry } from '../../src/worker/engine-registry.js';
import { FrameCacheEngine } from '../../src/platform/frame-cache-engine.js';
import { recordingLogger } from '../helpers/fake-platform.js';
import { URL_A, URL_B, makeEngine } from '../helpers/engine.js';
import { noiseBytes, orthancFramesResponse } from '../helpers/multipart-builder.js';

const ROOT = 'https://pacs.example/dicom-web';
const INSTANCE = `${ROOT}/studies/1.2/series/1.3/instances/1.4`;
const ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const frame = (n: number) => noiseBytes(50 + n, n);

/** A fetch answering frames and metadata of INSTANCE (20 frames), recording what each call carried. */
function recordingServer() {
  const seen: { url: string; authorization: string | null; credentials: string | undefined }[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    seen.push({
      url: request.url,
      authorization: request.headers.get('authorization'),
      credentials: input instanceof Request ? input.credentials : init?.credentials,
    });
    if (request.url.endsWith('/metadata')) {
      return Response.json([
        {
          '0020000D': { Value: ['1.2'] },
          '0020000E': { Value: ['1.3'] },
          '00080018': { Value: ['1.4'] },
          '00280008': { Value: [20] },
        },
      ]);
    }
    const match = /\/frames\/([\d,]+)$/.exec(request.url);
    if (match === null) return new Response('not found', { status: 404 });
    return orthancFramesResponse(INSTANCE, match[1]!.split(',').map(Number), frame);
  }) as typeof fetch;
  return { seen, fetchFn };
}

describe('credentials', () => {
  it('a headers function answering a Headers object fails as headers; no request leaves without its Authorization', async () => {
    const sent: RequestInitLike[] = [];
    const fetch = (async (_url: string, init?: RequestInitLike) => {
      sent.push(init!);
      return new Response('ok');
    }) as unknown as FetchLike;
    const run = runWithRetries(
      {
        fetch,
        headers: () => new Headers({ Authorization: 'Bearer t0k3n' }) as unknown as Record<string, string>,
        timers: { setTimeout: (cb, ms) => setTimeout(cb, ms), clearTimeout: (h) => clearTimeout(h as never) },
        requestTimeoutMs: 1000,
        maxRetries: 0,
      },
      { signal: new AbortController().signal },
      { next: (n) => (n === 0 ? { url: `${INSTANCE}/frames/1`, accept: ACCEPT } : undefined), consume: async () => 1 },
    );
    const outcome = await run.then(
      () => 'sent',
      (error: unknown) => error,
    );
    // Observed: the Headers object passes the "record of strings" check (Object.values of it is
    // []), withAccept copies none of it, and the request goes out with Accept alone.
    expect(sent.map((init) => init.headers)).toEqual([]);
    expect(outcome).toBeInstanceOf(FrameCacheError);
    expect(outcome).toMatchObject({ code: 'headers' });
  });

  it('static `headers` given as a Headers object is refused as an invalid option (it would send no auth)', () => {
    expect(() => resolveOptions({ headers: new Headers({ Authorization: 'Bearer t0k3n' }) })).toThrow(
      expect.objectContaining({ code: 'invalid-option' }),
    );
  });

  it('shared worker: with no tab left to give the headers, no request goes out without them', async () => {
    // Tabs that share an engine share its credential (README, "Shared mode and credentials"):
    // requests go with the newest attached tab's headers function. With none attached (the tabs
    // went away while a load was queued), the request must not leave with no Authorization.
    const { seen, fetchFn } = recordingServer();
    const registry = new SharedRegistry({ fetch: fetchFn as unknown as FetchLike });
    const lease = registry.acquire(
      {
        engineId: 1,
        options: { wholeInstanceMaxFrames: 0, framesPerMiss: 1, framesPerRequest: 1, maxRetries: 0 },
        cacheInstanceUid: 'u1',
        hasHeadersFunction: true,
      },
      undefined,
      undefined,
    );
    try {
      expect(await lease.engine.getFrame({ url: INSTANCE, frameCount: 20 }, 1)).toBeUndefined();
      expect(seen.filter((s) => s.url.includes('/frames/'))).toEqual([]);
      expect((await lease.engine.stats()).failedRequests).toBe(1);
    } finally {
      await lease.release();
    }
  });

  it('Service Worker: a request sent without credentials is not answered from frames read with cookies', async () => {
    const { seen, fetchFn } = recordingServer();
    const server = new FrameServer({
      roots: [ROOT],
      cacheOptions: { maxRetries: 0, framesPerMiss: 10 },
      fetch: fetchFn,
    });
    const get = (credentials: RequestCredentials) =>
      new Request(`${INSTANCE}/frames/1`, { headers: { accept: ACCEPT }, credentials });
    const framesReads = () => seen.filter((s) => s.url.includes('/frames/'));
    // A cookie session: the page's request carries cookies only (no header the worker sees).
    expect((await server.handle(get('include'), 'c', () => undefined)!).status).toBe(200);
    const afterCookies = framesReads().length;
    // The same page, the same URL, explicitly anonymous.
    expect((await server.handle(get('omit'), 'c', () => undefined)!).status).toBe(200);
    // Observed: one scope (namespace + hash of Accept and the visible headers), the second answer
    // built from the frames read for the cookie request; no read went out without credentials.
    expect((await server.stats()).scopes).toBe(2);
    expect(
      framesReads()
        .slice(afterCookies)
        .map((s) => s.credentials),
    ).toContain('omit');
  });
});

describe('logs', () => {
  it("never carry a header value, even where fetch's own error message quotes it", async () => {
    const logger = recordingLogger();
    // Node's fetch (undici) refuses a value with a control character before any connection and
    // names the value in its TypeError ("Headers.append: \"Bearer s3cr\0et\" is an invalid header value.").
    const engine = new FrameCacheEngine({
      headers: { Authorization: 'Bearer s3cr\u0000et' },
      fetch: (url: string, init?: RequestInitLike) => globalThis.fetch(url, init as RequestInit),
      logger,
      maxRetries: 0,
      wholeInstanceMaxFrames: 0,
      framesPerMiss: 1,
    });
    try {
      const url = 'http://127.0.0.1:9/dicom-web/studies/1/series/2/instances/3';
      expect(await engine.getFrame({ url, frameCount: 1 }, 1)).toBeUndefined();
      await engine.waitForLoads();
    } finally {
      await engine.close();
    }
    // Observed: 'request failed' { error: 'Request to ... failed: Headers.append: "Bearer s3cr\0et"
    // is an invalid header value.' } (with maxRetries > 0, 'request retried' { reason: 'network: ...' } too).
    const leaked = logger.records.filter((r) => JSON.stringify(r).includes('s3cr'));
    expect(leaked.map((r) => r.message)).toEqual([]);
  });
});

describe('link learner: degenerate samples', () => {
  /** 80 ms to the first frame, 300 kB at 1000 bytes/ms: a rate is known. */
  const GOOD: RequestSample = {
    startedAt: 0,
    firstFrameAt: 80,
    endedAt: 380,
    frames: 31,
    bytes: 310_000,
    firstFrameBytes: 10_000,
    linkBytes: 0,
  };

  it('a NaN clock reading leaves every estimate finite and backgroundSlots an integer >= 1', () => {
    const learner = new LinkLearner();
    learner.record(URL_A, GOOD);
    // A clock that answered NaN once (startedAt), as a broken or injected `clock` port may.
    learner.record(URL_A, { ...GOOD, startedAt: Number.NaN });
    const [link] = learner.describe();
    // Observed: Math.max(0, NaN) is NaN; it poisons firstFrameMs and minFirstFrameMs for good.
    for (const value of [link!.firstFrameMs, link!.minFirstFrameMs, link!.bytesPerMs, link!.meanFrameBytes])
      expect(Number.isFinite(value)).toBe(true);
    // Observed NaN: canStart's `background < NaN` is false, so no background chunk of the
    // origin ever starts again (prefetch, preload and the blocks behind views stall).
    const slots = learner.backgroundSlots(URL_A, 256, 3);
    expect(Number.isInteger(slots) && slots >= 1).toBe(true);
  });
});

describe('mode learner: a whole-instance trial the server refuses', () => {
  it('does not fail the caller twice: the refused trial counts against whole-instance mode', async () => {
    const big = () => 300 * 1024; // frames large enough to count as samples
    const { engine, source } = makeEngine(
      { framesPerMiss: 4, maxRetries: 0 },
      {
        frameCounts: { [URL_A]: 8, [URL_B]: 8 },
        frameSize: big,
        msPerRequest: 50,
        // A server that serves frame lists but not whole instances (both Accepts refused).
        fail: (r) => (r.kind === 'instance' ? new FrameCacheError('http', 'HTTP 406', { status: 406 }) : undefined),
      },
    );
    await engine.getFrame({ url: URL_A, frameCount: 8 }, 1); // a block sample: the learner may explore
    await engine.waitForLoads();
    const first = await engine.getFrame({ url: URL_B, frameCount: 8 }, 1);
    await engine.waitForLoads();
    expect(source.requests.at(-1)?.kind).toBe('instance'); // the trial, refused: this caller got undefined
    expect(first).toBeUndefined();
    // The caller asks again. Observed: the learner learned nothing from the refusal (0 bytes is
    // "too small a sample") and tries a whole instance again, up to MAX_EXPLORATIONS (3) times.
    const again = await engine.getFrame({ url: URL_B, frameCount: 8 }, 1);
    await engine.waitForLoads();
    expect(source.requests.at(-1)?.kind).toBe('frames');
    expect(again).toEqual(source.frameBytes(URL_B, 1));
  });
});

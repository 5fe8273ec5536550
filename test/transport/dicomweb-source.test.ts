import { describe, expect, it } from 'vitest';
import { FrameCacheError } from '../../src/shared/errors.js';
import type { FetchLike, RequestInitLike, Timers } from '../../src/core/ports.js';
import {
  DicomwebSource,
  FRAMES_ACCEPT,
  INSTANCE_ACCEPT,
  INSTANCE_ACCEPT_SINGLE_PART,
  MAX_URL_LENGTH,
} from '../../src/transport/dicomweb-source.js';
import {
  buildMultipart,
  concatBytes,
  noiseBytes,
  orthancContentType,
  orthancFrameHeaders,
  multipartContentType,
} from '../helpers/multipart-builder.js';
import { encapsulatedInstance, jpegLike } from '../helpers/part10-writer.js';

/** A Response over bytes (TS 5.9 types Uint8Array<ArrayBufferLike> apart from BodyInit). */
function respond(body: Uint8Array | string | ReadableStream<Uint8Array>, init?: ResponseInit): Response {
  return new Response(body as BodyInit, init);
}

const INSTANCE = 'http://127.0.0.1:1/dicom-web/studies/1/series/2/instances/3';

interface Call {
  url: string;
  accept: string | undefined;
  headers: Record<string, string>;
}

type Responder = (call: Call, index: number) => Response | Promise<Response>;

/** A fetch that records calls and answers from a script, one responder per call (last repeats). */
function scriptedFetch(responders: Responder[]): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const fetch = (async (url: string, init?: RequestInitLike) => {
    const headers = init?.headers ?? {};
    const call = { url, accept: headers['Accept'], headers };
    calls.push(call);
    init?.signal?.throwIfAborted();
    const responder = responders[Math.min(calls.length - 1, responders.length - 1)]!;
    return responder(call, calls.length - 1);
  }) as unknown as FetchLike;
  return { fetch, calls };
}

/** Timers whose backoff sleeps fire at once (recording their delays); idle timeouts stay real. */
function quickTimers(requestTimeoutMs: number): Timers & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    setTimeout: (cb, ms) => {
      if (ms === requestTimeoutMs) return setTimeout(cb, ms);
      delays.push(ms);
      return setTimeout(cb, 0);
    },
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

const frame = (n: number) => noiseBytes(300 + n, n);

function framesAnswer(frames: number[], opts: { locations?: (n: number) => string; omit?: number[] } = {}): Response {
  const parts = frames
    .filter((n) => !(opts.omit ?? []).includes(n))
    .map((n) => {
      const headers = orthancFrameHeaders(INSTANCE, n, frame(n).length);
      if (opts.locations) headers[0] = ['Content-Location', opts.locations(n)];
      return { headers, body: frame(n) };
    });
  return respond(buildMultipart(parts, { boundary: 'abc123' }), {
    headers: { 'content-type': orthancContentType('abc123') },
  });
}

function framesOf(url: string): number[] {
  return url.split('/frames/')[1]!.split(',').map(Number);
}

function source(fetch: FetchLike, extra: Partial<ConstructorParameters<typeof DicomwebSource>[0]> = {}) {
  const requestTimeoutMs = extra.requestTimeoutMs ?? 30000;
  const timers = quickTimers(requestTimeoutMs);
  const src = new DicomwebSource({
    fetch,
    headers: undefined,
    timers,
    requestTimeoutMs,
    maxRetries: 3,
    random: () => 0.5,
    ...extra,
  });
  return { src, timers };
}

async function collectFrames(src: DicomwebSource, frames: number[], signal = new AbortController().signal) {
  const got = new Map<number, Uint8Array>();
  const retries: string[] = [];
  let timeouts = 0;
  let bytes = 0;
  const error = await src
    .fetchFrames(
      INSTANCE,
      frames,
      (n, b) => {
        expect(got.has(n)).toBe(false);
        got.set(n, b.slice());
      },
      { signal, onRetry: (_a, r) => retries.push(r), onTimeout: () => timeouts++, onBytes: (c) => (bytes += c) },
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { got, retries, error, timeouts, bytes };
}

describe('DicomwebSource', () => {
  describe('fetchFrames()', () => {
    it('asks with the WADO-RS frames Accept and delivers every verified frame once', async () => {
      const { fetch, calls } = scriptedFetch([(c) => framesAnswer(framesOf(c.url))]);
      const { got, error, bytes } = await collectFrames(source(fetch).src, [1, 2, 3]);
      expect(error).toBeUndefined();
      expect(calls).toHaveLength(1);
      expect(calls[0]!.url).toBe(`${INSTANCE}/frames/1,2,3`);
      expect(calls[0]!.accept).toBe(FRAMES_ACCEPT);
      expect([...got.keys()]).toEqual([1, 2, 3]);
      for (const n of [1, 2, 3]) expect(got.get(n)).toEqual(frame(n));
      expect(bytes).toBeGreaterThan(0);
    });

    it('calls the headers provider per request with its URL', async () => {
      const seen: string[] = [];
      const { fetch, calls } = scriptedFetch([(c) => framesAnswer(framesOf(c.url))]);
      const { src } = source(fetch, {
        headers: (url) => {
          seen.push(url);
          return { Authorization: 'Bearer t0k3n' };
        },
      });
      await collectFrames(src, [4]);
      expect(seen).toEqual([`${INSTANCE}/frames/4`]);
      expect(calls[0]!.headers['Authorization']).toBe('Bearer t0k3n');
    });

    it('sends a request with static headers (or none) in the calling task, with those headers', async () => {
      for (const headers of [undefined, { Authorization: 'Bearer t0k3n' }]) {
        const { fetch, calls } = scriptedFetch([(c) => framesAnswer(framesOf(c.url))]);
        const read = collectFrames(source(fetch, { headers }).src, [4]);
        // No await before fetch(): a view's requests leave before the engine plans its blocks.
        expect(calls).toHaveLength(1);
        expect(calls[0]!.headers['Authorization']).toBe(headers?.Authorization);
        expect((await read).error).toBeUndefined();
      }
    });

    it('checks static headers as a function answer: a record of other values fails as headers, nothing sent', async () => {
      const { fetch, calls } = scriptedFetch([(c) => framesAnswer(framesOf(c.url))]);
      const read = await collectFrames(source(fetch, { headers: { Authorization: 42 } as never }).src, [4]);
      expect(read.error).toBeInstanceOf(FrameCacheError);
      expect(read.error).toMatchObject({ code: 'headers' });
      expect(calls).toHaveLength(0);
    });

    it('discards a part whose Content-Location names another frame and asks again for it alone', async () => {
      const { fetch, calls } = scriptedFetch([
        (c) => framesAnswer(framesOf(c.url), { locations: (n) => `${INSTANCE}/frames/${n === 2 ? 9 : n}` }),
        (c) => framesAnswer(framesOf(c.url)),
      ]);
      const { got, retries } = await collectFrames(source(fetch).src, [1, 2, 3]);
      expect(calls.map((c) => framesOf(c.url))).toEqual([[1, 2, 3], [2]]);
      expect(got.get(2)).toEqual(frame(2));
      expect(retries).toEqual(['incomplete answer']);
    });

    it('discards a part whose Content-Length is not its length (cut on the way) and asks again for it', async () => {
      const cut = (c: Call): Response => {
        const asked = framesOf(c.url);
        const parts = asked.map((n) => ({
          headers: orthancFrameHeaders(INSTANCE, n, frame(n).length),
          body: n === 2 ? frame(n).subarray(0, 100) : frame(n),
        }));
        return respond(buildMultipart(parts, { boundary: 'abc123' }), {
          headers: { 'content-type': orthancContentType('abc123') },
        });
      };
      const { fetch, calls } = scriptedFetch([cut, (c) => framesAnswer(framesOf(c.url))]);
      const { got, error } = await collectFrames(source(fetch).src, [1, 2, 3]);
      expect(error).toBeUndefined();
      expect(calls.map((c) => framesOf(c.url))).toEqual([[1, 2, 3], [2]]);
      for (const n of [1, 2, 3]) expect(got.get(n)).toEqual(frame(n));
    });

    it('compares only the /frames/N tail of Content-Location (servers write their own host)', async () => {
      const { fetch } = scriptedFetch([
        (c) => framesAnswer(framesOf(c.url), { locations: (n) => `http://other-host:8042/x/frames/${n}` }),
      ]);
      const { got } = await collectFrames(source(fetch).src, [5, 6]);
      expect([...got.keys()]).toEqual([5, 6]);
    });

    it('with one part missing, keeps the parts before it and asks again for the rest', async () => {
      const { fetch, calls } = scriptedFetch([
        (c) => framesAnswer(framesOf(c.url), { omit: [2] }),
        (c) => framesAnswer(framesOf(c.url)),
      ]);
      const { got, error } = await collectFrames(source(fetch).src, [1, 2, 3]);
      expect(error).toBeUndefined();
      // Part 2 missing shifts part 3 into position 2: its Content-Location no longer matches.
      expect(calls.map((c) => framesOf(c.url))).toEqual([
        [1, 2, 3],
        [2, 3],
      ]);
      for (const n of [1, 2, 3]) expect(got.get(n)).toEqual(frame(n));
    });

    it('retries 503 honouring Retry-After (seconds, capped) and counts each retry', async () => {
      const { fetch } = scriptedFetch([
        () => respond('busy', { status: 503, headers: { 'retry-after': '2' } }),
        () => respond('busy', { status: 429, headers: { 'retry-after': '999' } }),
        (c) => framesAnswer(framesOf(c.url)),
      ]);
      const { src, timers } = source(fetch, { requestTimeoutMs: 29999 });
      const { got, retries } = await collectFrames(src, [1]);
      expect(got.size).toBe(1);
      expect(retries).toEqual(['http 503', 'http 429']);
      expect(timers.delays).toEqual([2000, 30000]);
    });

    it('backs off exponentially with jitter when no Retry-After is given, up to maxRetries', async () => {
      const { fetch, calls } = scriptedFetch([() => respond('', { status: 500 })]);
      const { src, timers } = source(fetch, { maxRetries: 3 });
      const { error, retries } = await collectFrames(src, [1]);
      expect(calls).toHaveLength(4);
      expect(retries).toHaveLength(3);
      expect(timers.delays).toEqual([188, 375, 750]); // 250 * 2^n, half fixed + 0.5 * half random
      expect(error).toBeInstanceOf(FrameCacheError);
      expect(error).toMatchObject({ code: 'http', status: 500 });
    });

    it('does not retry a 404', async () => {
      const { fetch, calls } = scriptedFetch([() => respond('no', { status: 404, statusText: 'Not Found' })]);
      const { error } = await collectFrames(source(fetch).src, [1]);
      expect(calls).toHaveLength(1);
      expect(error).toMatchObject({ code: 'http', status: 404 });
    });

    it('retries a network error', async () => {
      const { fetch, calls } = scriptedFetch([
        () => {
          throw new TypeError('fetch failed');
        },
        (c) => framesAnswer(framesOf(c.url)),
      ]);
      const { got, retries } = await collectFrames(source(fetch).src, [7]);
      expect(calls).toHaveLength(2);
      expect(retries[0]).toContain('network');
      expect(got.get(7)).toEqual(frame(7));
    });

    it('keeps frames before a body cut short and asks only for the rest', async () => {
      const full = await framesAnswer([1, 2, 3]).arrayBuffer();
      const cut = new Uint8Array(full).slice(0, Math.floor(full.byteLength * 0.6));
      const { fetch, calls } = scriptedFetch([
        () => {
          let pulls = 0;
          const body = new ReadableStream<Uint8Array>({
            pull(controller) {
              if (pulls++ === 0) controller.enqueue(cut);
              else controller.error(new TypeError('terminated'));
            },
          });
          return respond(body, { headers: { 'content-type': orthancContentType('abc123') } });
        },
        (c) => framesAnswer(framesOf(c.url)),
      ]);
      const { got, error } = await collectFrames(source(fetch).src, [1, 2, 3]);
      expect(error).toBeUndefined();
      expect(calls[1]!.url).not.toContain('/frames/1,');
      for (const n of [1, 2, 3]) expect(got.get(n)).toEqual(frame(n));
    });

    it('times out a stalled answer, counts it, retries, and gives a timeout error at the end', async () => {
      const stalled = () =>
        respond(new ReadableStream<Uint8Array>({ start() {} }), {
          headers: { 'content-type': orthancContentType('abc123') },
        });
      const { fetch, calls } = scriptedFetch([stalled]);
      const { src } = source(fetch, { requestTimeoutMs: 30, maxRetries: 1 });
      const { error, timeouts, retries } = await collectFrames(src, [1]);
      expect(calls).toHaveLength(2);
      expect(timeouts).toBe(2);
      expect(retries).toEqual(['timeout']);
      expect(error).toMatchObject({ code: 'timeout' });
    });

    it('rejects with the abort reason when the caller aborts', async () => {
      const controller = new AbortController();
      const { fetch } = scriptedFetch([
        () => {
          controller.abort(new Error('caller left'));
          return respond(new ReadableStream<Uint8Array>({ start() {} }), {
            headers: { 'content-type': orthancContentType('abc123') },
          });
        },
      ]);
      const { error } = await collectFrames(source(fetch).src, [1], controller.signal);
      expect((error as Error).message).toBe('caller left');
    });

    it('accepts a bare single-frame body for a one-frame request', async () => {
      const { fetch } = scriptedFetch([() => respond(frame(3), { headers: { 'content-type': 'image/jpeg' } })]);
      const { got } = await collectFrames(source(fetch).src, [3]);
      expect(got.get(3)).toEqual(frame(3));
    });

    it('rejects a non-multipart answer to a many-frame request', async () => {
      const { fetch } = scriptedFetch([() => respond('{}', { headers: { 'content-type': 'application/json' } })]);
      const { error } = await collectFrames(source(fetch, { maxRetries: 0 }).src, [1, 2]);
      expect(error).toMatchObject({ code: 'multipart' });
    });

    it('splits a frame list whose URL would pass the safe length', async () => {
      const many = Array.from({ length: 3000 }, (_, i) => i + 10000);
      const { fetch, calls } = scriptedFetch([(c) => framesAnswer(framesOf(c.url))]);
      const { got } = await collectFrames(source(fetch).src, many);
      expect(calls.length).toBeGreaterThan(1);
      for (const c of calls) expect(c.url.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
      expect(got.size).toBe(3000);
    });
  });

  describe('fetchInstance()', () => {
    const frames = [jpegLike(500, 1), jpegLike(700, 2), jpegLike(601, 3)];
    const file = encapsulatedInstance({ frames: frames.map((f) => [f]), table: 'bot' });

    async function collectInstance(src: DicomwebSource) {
      const got = new Map<number, Uint8Array>();
      const result = await src
        .fetchInstance(INSTANCE, (n, b) => got.set(n, b.slice()), { signal: new AbortController().signal })
        .catch((e: unknown) => e);
      return { got, result };
    }

    it('reads a multipart/related answer holding the Part 10 file', async () => {
      const body = buildMultipart([{ headers: { 'Content-Type': 'application/dicom' }, body: file }], {
        boundary: 'zz',
      });
      const { fetch, calls } = scriptedFetch([
        () => respond(body, { headers: { 'content-type': multipartContentType('zz', { type: 'application/dicom' }) } }),
      ]);
      const { got, result } = await collectInstance(source(fetch).src);
      expect(calls[0]!.accept).toBe(INSTANCE_ACCEPT);
      expect(result).toEqual({ frameCount: 3 });
      expect([...got.keys()]).toEqual([1, 2, 3]);
      expect(got.get(1)!.subarray(0, 500)).toEqual(frames[0]);
    });

    it('falls back to the single-part form when the server refuses the multipart one', async () => {
      const { fetch, calls } = scriptedFetch([
        () => respond('bad accept', { status: 400 }),
        () => respond(file, { headers: { 'content-type': 'application/dicom' } }),
      ]);
      const { got, result } = await collectInstance(source(fetch).src);
      expect(calls.map((c) => c.accept)).toEqual([INSTANCE_ACCEPT, INSTANCE_ACCEPT_SINGLE_PART]);
      expect(result).toEqual({ frameCount: 3 });
      expect(got.size).toBe(3);
    });

    it('rejects with part10 when the file is not DICOM, delivering nothing', async () => {
      const { fetch } = scriptedFetch([
        () =>
          respond(concatBytes(['not dicom at all', new Uint8Array(200)]), {
            headers: { 'content-type': 'application/dicom' },
          }),
      ]);
      const { got, result } = await collectInstance(source(fetch, { maxRetries: 0 }).src);
      expect(result).toMatchObject({ code: 'part10' });
      expect(got.size).toBe(0);
    });
  });
});

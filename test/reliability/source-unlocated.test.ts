// Frames answers whose parts carry no Content-Location (servers that send none): a part's
// position is then all that says which frame it is, so one missing part would shift every later
// frame onto the wrong number. Such parts are handed on only when the answer is complete with one
// part per frame asked for.
import { describe, expect, it } from 'vitest';
import type { FetchLike, RequestInitLike, Timers } from '../../src/core/ports.js';
import { DicomwebSource } from '../../src/transport/dicomweb-source.js';
import { buildMultipart, noiseBytes, orthancContentType } from '../helpers/multipart-builder.js';

const INSTANCE = 'http://127.0.0.1:1/dicom-web/studies/1/series/2/instances/3';
const BOUNDARY = 'unlocated-boundary';
const frame = (n: number): Uint8Array => noiseBytes(200 + n, n);

function framesOf(url: string): number[] {
  return url.split('/frames/')[1]!.split(',').map(Number);
}

/** The multipart body for `frames` without any Content-Location, leaving out `omit`. */
function body(frames: number[], omit: number[] = []): Uint8Array {
  const parts = frames
    .filter((n) => !omit.includes(n))
    .map((n) => ({ headers: { 'Content-Type': 'application/octet-stream' }, body: frame(n) }));
  return buildMultipart(parts, { boundary: BOUNDARY });
}

function answer(bytes: Uint8Array | ReadableStream<Uint8Array>): Response {
  return new Response(bytes as BodyInit, { headers: { 'content-type': orthancContentType(BOUNDARY) } });
}

const quickTimers: Timers = {
  setTimeout: (cb, ms) => setTimeout(cb, ms >= 30000 ? ms : 0),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

function sourceOver(respond: (url: string, call: number) => Response): { src: DicomwebSource; urls: string[] } {
  const urls: string[] = [];
  const fetch = (async (url: string, init?: RequestInitLike) => {
    init?.signal?.throwIfAborted();
    urls.push(url);
    return respond(url, urls.length - 1);
  }) as unknown as FetchLike;
  return {
    src: new DicomwebSource({ fetch, headers: undefined, timers: quickTimers, requestTimeoutMs: 30000, maxRetries: 2 }),
    urls,
  };
}

async function collect(
  src: DicomwebSource,
  frames: number[],
): Promise<{ got: Map<number, Uint8Array>; error: unknown }> {
  const got = new Map<number, Uint8Array>();
  const error = await src
    .fetchFrames(INSTANCE, frames, (n, bytes) => void got.set(n, bytes.slice()), {
      signal: new AbortController().signal,
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { got, error };
}

describe('DicomwebSource', () => {
  describe('fetchFrames() with parts that carry no Content-Location', () => {
    it('delivers no frame from an answer with a part missing, and every frame right from the retry', async () => {
      const { src, urls } = sourceOver((url, call) => answer(body(framesOf(url), call === 0 ? [2] : [])));
      const { got, error } = await collect(src, [1, 2, 3, 4]);
      expect(error).toBeUndefined();
      expect(urls.map(framesOf)).toEqual([
        [1, 2, 3, 4],
        [1, 2, 3, 4],
      ]);
      for (const n of [1, 2, 3, 4]) expect(got.get(n), `frame ${n}`).toEqual(frame(n));
    });

    it('never delivers shifted frames while a part stays missing; fails after maxRetries', async () => {
      const { src, urls } = sourceOver((url) => answer(body(framesOf(url), [2])));
      const { got, error } = await collect(src, [1, 2, 3]);
      expect(error).toMatchObject({ code: 'multipart' });
      expect(urls).toHaveLength(3);
      expect(got.size).toBe(0);
    });

    it('hands the parts on only once the answer is complete', async () => {
      const bytes = body([1, 2, 3]);
      const cut = bytes.length - 40; // inside the last part: parts 1 and 2 are complete before it
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let secondRead!: () => void;
      const firstChunkParsed = new Promise<void>((resolve) => (secondRead = resolve));
      let pulls = 0;
      // Pulled only on read(): the second pull means the first chunk went through the parser.
      const stream = new ReadableStream<Uint8Array>(
        {
          async pull(controller) {
            pulls++;
            if (pulls === 1) {
              controller.enqueue(bytes.slice(0, cut));
              return;
            }
            secondRead();
            await gate;
            controller.enqueue(bytes.slice(cut));
            controller.close();
          },
        },
        { highWaterMark: 0 },
      );
      const got = new Map<number, Uint8Array>();
      const { src } = sourceOver(() => answer(stream));
      const done = src.fetchFrames(INSTANCE, [1, 2, 3], (n, b) => void got.set(n, b.slice()), {
        signal: new AbortController().signal,
      });
      await firstChunkParsed;
      expect(got.size).toBe(0);
      release();
      await done;
      expect([...got.keys()]).toEqual([1, 2, 3]);
      for (const n of [1, 2, 3]) expect(got.get(n)).toEqual(frame(n));
    });

    it('keeps a truncated location-less answer from delivering anything, and recovers on the retry', async () => {
      const { src } = sourceOver((url, call) => {
        const full = body(framesOf(url));
        return answer(call === 0 ? full.slice(0, Math.floor(full.length * 0.7)) : full);
      });
      const { got, error } = await collect(src, [1, 2, 3]);
      expect(error).toBeUndefined();
      for (const n of [1, 2, 3]) expect(got.get(n)).toEqual(frame(n));
    });
  });
});

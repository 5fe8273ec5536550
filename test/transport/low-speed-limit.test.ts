/**
 * The transport's low-speed limit (src/transport/http.ts, MIN_BODY_BYTES_PER_SECOND): a server
 * that trickles a byte within every `requestTimeoutMs` no longer holds a request for ever
 * (docs/reliability.md, "Known limits"); a slow but steady body still completes. Time is a
 * virtual clock the test advances between the body's chunks: each chunk is enqueued only when
 * the transport asks for it (a pull with no buffering), so every step is ordered by the reads.
 */
import { describe, expect, it } from 'vitest';
import type { FetchLike, Timers } from '../../src/core/ports.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import { DicomwebSource } from '../../src/transport/dicomweb-source.js';
import { MIN_BODY_BYTES_PER_SECOND } from '../../src/transport/http.js';
import { FakeClock } from '../helpers/fake-platform.js';
import { buildMultipart, orthancContentType, orthancFrameHeaders, noiseBytes } from '../helpers/multipart-builder.js';

const INSTANCE = 'http://127.0.0.1:1/dicom-web/studies/1/series/2/instances/3';
const BOUNDARY = 'abc123';
const TIMEOUT_MS = 1000;

/** The fake clock, except that a timer other than the request timeout (the retry's backoff) passes on its own, a microtask later. */
class VirtualTimers extends FakeClock {
  override setTimeout(callback: () => void, ms: number): unknown {
    const handle = super.setTimeout(callback, ms);
    if (ms !== TIMEOUT_MS) queueMicrotask(() => this.advance(ms));
    return handle;
  }
}

/** One frame's multipart answer, and where the frame's bytes start in it. */
function answer(frame: Uint8Array): { body: Uint8Array; frameAt: number } {
  const body = buildMultipart([{ headers: orthancFrameHeaders(INSTANCE, 1, frame.length), body: frame }], {
    boundary: BOUNDARY,
  });
  // The frame's bytes are followed by CRLF and the close delimiter line.
  return { body, frameAt: body.length - frame.length - `\r\n--${BOUNDARY}--\r\n`.length };
}

/**
 * A fetch whose body gives one piece of `pieces` per read, `stepMs` of virtual time after the
 * read before it asked for the next one; `pulls` counts the reads the transport made.
 */
function pacedFetch(timers: VirtualTimers, pieces: () => (Uint8Array | Error)[], stepMs: number) {
  const state = { pulls: 0, requests: 0 };
  const fetch = (async () => {
    state.requests++;
    const queue = pieces();
    let first = true;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          state.pulls++;
          const next = queue.shift();
          if (next === undefined) return controller.close();
          if (!first) timers.advance(stepMs);
          first = false;
          if (next instanceof Error) controller.error(next);
          else controller.enqueue(next);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body as unknown as BodyInit, { headers: { 'content-type': orthancContentType(BOUNDARY) } });
  }) as unknown as FetchLike;
  return { fetch, state };
}

function source(fetch: FetchLike, timers: Timers, maxRetries = 0): DicomwebSource {
  return new DicomwebSource({
    fetch,
    headers: undefined,
    timers,
    requestTimeoutMs: TIMEOUT_MS,
    maxRetries,
    random: () => 0,
  });
}

async function read(src: DicomwebSource, onRetry?: (attempt: number, reason: string) => void, onTimeout?: () => void) {
  const got = new Map<number, Uint8Array>();
  const error = await src
    .fetchFrames(INSTANCE, [1], (n, b) => got.set(n, b.slice()), {
      signal: new AbortController().signal,
      onRetry,
      onTimeout,
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { got, error };
}

/** The frame's answer: its head, then the frame in pieces of `size` bytes, the last with the close delimiter. */
function paced(frame: Uint8Array, size: number): Uint8Array[] {
  const { body, frameAt } = answer(frame);
  const out = [body.slice(0, frameAt)];
  const frameEnd = frameAt + frame.length;
  for (let at = frameAt; at < frameEnd; at += size)
    out.push(body.slice(at, at + size >= frameEnd ? body.length : at + size));
  return out;
}

describe('transport: low-speed limit', () => {
  it('ends a body that trickles a byte within every idle timeout (it held the request for ever)', async () => {
    const timers = new VirtualTimers();
    const frame = noiseBytes(200, 3);
    // One byte every 0.9 timeouts: the idle timer never fires. 200 pieces stand for "for ever".
    const { fetch, state } = pacedFetch(timers, () => paced(frame, 1), 0.9 * TIMEOUT_MS);
    const { got, error } = await read(source(fetch, timers));
    expect(error).toBeInstanceOf(FrameCacheError);
    expect((error as FrameCacheError).code).toBe('timeout');
    const minBytes = Math.ceil((MIN_BODY_BYTES_PER_SECOND * TIMEOUT_MS) / 1000);
    expect((error as FrameCacheError).message).toContain(`Fewer than ${minBytes} bytes in ${TIMEOUT_MS} ms`);
    expect(got.size).toBe(0);
    // Ended within the second window, not after the whole trickle.
    expect(state.pulls).toBeLessThan(5);
    expect(timers.now()).toBeLessThanOrEqual(3 * TIMEOUT_MS);
  });

  it('retries a trickling answer as it retries a timeout, and takes the next one', async () => {
    const timers = new VirtualTimers();
    const frame = noiseBytes(200, 4);
    let attempt = 0;
    const { fetch, state } = pacedFetch(
      timers,
      () => (attempt++ === 0 ? paced(frame, 1) : paced(frame, 200)),
      0.9 * TIMEOUT_MS,
    );
    const reasons: string[] = [];
    const { got, error } = await read(source(fetch, timers, 1), (_n, reason) => reasons.push(reason));
    expect(error).toBeUndefined();
    expect(reasons).toEqual(['timeout']);
    expect(state.requests).toBe(2);
    expect(got.get(1)).toEqual(frame);
  });

  it("counts no timeout for an attempt that failed otherwise, while the retry's backoff runs", async () => {
    const timers = new VirtualTimers();
    const frame = noiseBytes(200, 7);
    let attempt = 0;
    // The first body breaks 0.9 windows in; the backoff (125 ms) then outlasts its window.
    const { fetch, state } = pacedFetch(
      timers,
      () =>
        attempt++ === 0
          ? [paced(frame, frame.length)[0]!, new TypeError('network connection lost')]
          : paced(frame, 200),
      0.9 * TIMEOUT_MS,
    );
    const reasons: string[] = [];
    let timeouts = 0;
    const { got, error } = await read(
      source(fetch, timers, 1),
      (_n, reason) => reasons.push(reason),
      () => timeouts++,
    );
    expect(error).toBeUndefined();
    expect(got.get(1)).toEqual(frame);
    expect(state.requests).toBe(2);
    expect(timers.now()).toBeGreaterThan(TIMEOUT_MS); // the first attempt's window ended in the backoff
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).not.toBe('timeout');
    expect(timeouts).toBe(0);
  });

  it('lets a slow but steady body complete over many windows', async () => {
    const timers = new VirtualTimers();
    const frame = noiseBytes(40 * 1024, 5);
    // 1.2 KiB every 0.9 timeouts: above the limit in every window, 30 windows in all.
    const { fetch, state } = pacedFetch(timers, () => paced(frame, 1200), 0.9 * TIMEOUT_MS);
    const { got, error } = await read(source(fetch, timers));
    expect(error).toBeUndefined();
    expect(got.get(1)).toEqual(frame);
    expect(timers.now()).toBeGreaterThan(20 * TIMEOUT_MS);
    expect(state.requests).toBe(1);
  });

  it('still ends a body that stops, after one idle timeout', async () => {
    const timers = new VirtualTimers();
    const frame = noiseBytes(8 * 1024, 6);
    const { body, frameAt } = answer(frame);
    // The head and 4 KiB of the frame (above the limit), then a read that never gets its bytes.
    const first = body.slice(0, frameAt + 4096);
    let pulls = 0;
    const fetch = (async () =>
      new Response(
        new ReadableStream<Uint8Array>(
          {
            pull(controller) {
              if (pulls++ === 0) return controller.enqueue(first);
              timers.advance(TIMEOUT_MS);
              return new Promise<void>(() => undefined);
            },
          },
          { highWaterMark: 0 },
        ) as unknown as BodyInit,
        { headers: { 'content-type': orthancContentType(BOUNDARY) } },
      )) as unknown as FetchLike;
    const { error } = await read(source(fetch, timers));
    expect((error as FrameCacheError).code).toBe('timeout');
    expect((error as FrameCacheError).message).toContain(`No byte for ${TIMEOUT_MS} ms`);
  });
});

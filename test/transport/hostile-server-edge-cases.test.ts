/**
 * Resource bounds and liveness under a broken or hostile server: what small-body fuzzing does
 * not reach. Found by a review (2026-12-06); each test failed before its fix
 * (docs/reliability.md, "Found by an adversarial review").
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it, vi } from 'vitest';
import type { FetchLike, Timers } from '../../src/core/ports.js';
import { DicomwebSource } from '../../src/transport/dicomweb-source.js';
import { Part10StreamReader } from '../../src/part10/part10-stream.js';
import { orthancContentType, orthancFrameHeaders, noiseBytes } from '../helpers/multipart-builder.js';
import { writePart10 } from '../helpers/part10-writer.js';

/** Sizes of the buffers the transport assembled with concatBytes (parts spanning chunks). */
const assembled: number[] = [];
vi.mock('../../src/shared/bytes.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/shared/bytes.js')>();
  return {
    ...original,
    concatBytes: (chunks: readonly Uint8Array[], byteLength?: number) => {
      const out = original.concatBytes(chunks, byteLength);
      assembled.push(out.byteLength);
      return out;
    },
  };
});

const INSTANCE = 'http://127.0.0.1:1/dicom-web/studies/1/series/2/instances/3';
const BOUNDARY = 'abc123';
const encoder = new TextEncoder();
const text = (s: string): Uint8Array => encoder.encode(s);

/** Timers that never fire on their own: no idle timeout, no sleep (the tests need neither). */
const idleTimers: Timers = {
  setTimeout: () => 0,
  clearTimeout: () => undefined,
};

/** A fetch answering every request with a fresh stream from `makeStream`. */
function streamFetch(makeStream: () => ReadableStream<Uint8Array>): FetchLike {
  return (async () =>
    new Response(makeStream() as unknown as BodyInit, {
      headers: { 'content-type': orthancContentType(BOUNDARY) },
    })) as unknown as FetchLike;
}

function source(fetch: FetchLike): DicomwebSource {
  return new DicomwebSource({
    fetch,
    headers: undefined,
    timers: idleTimers,
    requestTimeoutMs: 30_000,
    maxRetries: 0,
    random: () => 0.5,
  });
}

/** A stream of `chunks` (each its own buffer), then whatever `more` enqueues per pull. */
function chunkStream(chunks: Uint8Array[], more?: (c: ReadableStreamDefaultController<Uint8Array>) => void) {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!.slice());
      else if (more) more(controller);
      else controller.close();
    },
  });
}

function framePart(n: number, body: Uint8Array): Uint8Array {
  const head = orthancFrameHeaders(INSTANCE, n, body.length)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const open = text(`--${BOUNDARY}\r\n${head}\r\n`);
  const out = new Uint8Array(open.length + body.length + 2);
  out.set(open);
  out.set(body, open.length);
  out.set(text('\r\n'), open.length + body.length);
  return out;
}

/** `total` bytes of noise in `size`-byte chunks (separate buffers, as a network delivers them). */
function noiseChunks(total: number, size: number): Uint8Array[] {
  const block = noiseBytes(size, 7).map((b) => (b === 0x0d ? 0x0e : b));
  const out: Uint8Array[] = [];
  for (let at = 0; at < total; at += size) out.push(block.slice(0, Math.min(size, total - at)));
  return out;
}

async function fetchFrames(src: DicomwebSource, frames: number[]) {
  const got = new Map<number, Uint8Array>();
  const error = await src
    .fetchFrames(INSTANCE, frames, (n, b) => got.set(n, b.slice()), { signal: new AbortController().signal })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  return { got, error };
}

describe('hostile server: multipart frames answers', () => {
  it('stops reading once the close delimiter has come (an endless epilogue must not keep the request open)', async () => {
    const frame = noiseBytes(300, 1);
    let pullsAfterClose = 0;
    const body = [framePart(1, frame), text(`--${BOUNDARY}--\r\n`)];
    const EPILOGUE_CHUNKS = 20_000; // stands for "for ever": the stream ends only so a failing test ends
    const src = source(
      streamFetch(() =>
        chunkStream(body, (c) => {
          pullsAfterClose++;
          if (pullsAfterClose > EPILOGUE_CHUNKS) c.close();
          else c.enqueue(text('epilogue bytes that trickle in for ever\r\n'));
        }),
      ),
    );
    const { got, error } = await fetchFrames(src, [1]);
    expect(error).toBeUndefined();
    expect(got.get(1)).toEqual(frame);
    // Everything asked for was complete at the close delimiter: read on only a little (1 KiB,
    // so that caches see the body end when a server adds a CRLF), never for ever.
    expect(pullsAfterClose).toBeLessThan(40);
  });

  it('does not buffer a part past the frames asked for (it can never be delivered)', async () => {
    assembled.length = 0;
    const frame = noiseBytes(300, 1);
    const EXTRA = 8 * 1024 * 1024;
    const body = [
      framePart(1, frame),
      text(`--${BOUNDARY}\r\nContent-Type: application/octet-stream\r\n\r\n`),
      ...noiseChunks(EXTRA, 64 * 1024),
      text(`\r\n--${BOUNDARY}--\r\n`),
    ];
    const { got, error } = await fetchFrames(source(streamFetch(() => chunkStream(body))), [1]);
    expect(error).toBeUndefined();
    expect(got.get(1)).toEqual(frame);
    // The extra part was joined into one 8 MiB buffer, then dropped: its size is unbounded.
    expect(Math.max(0, ...assembled)).toBeLessThan(1024 * 1024);
  });

  it('does not buffer a part beyond its declared Content-Length (it is discarded anyway)', async () => {
    assembled.length = 0;
    const BIG = 8 * 1024 * 1024;
    const body = [
      text(
        `--${BOUNDARY}\r\nContent-Type: application/octet-stream\r\nContent-Location: ${INSTANCE}/frames/1\r\nContent-Length: 300\r\n\r\n`,
      ),
      ...noiseChunks(BIG, 64 * 1024),
      text(`\r\n--${BOUNDARY}--\r\n`),
    ];
    const { got } = await fetchFrames(source(streamFetch(() => chunkStream(body))), [1]);
    expect(got.size).toBe(0); // rejected, as documented
    expect(Math.max(0, ...assembled)).toBeLessThan(1024 * 1024);
  });
});

describe('hostile server: Part 10 instances', () => {
  it('does not keep state per level of an item/sequence nesting bomb', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const head = writePart10({ transferSyntaxUid: '1.2.840.10008.1.2.1', dataset: [] });
    // One level: (0040,0275) SQ of undefined length, then an item of undefined length: 20 bytes.
    const level = new Uint8Array([
      0x40, 0x00, 0x75, 0x02, 0x53, 0x51, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff,
      0xff,
    ]);
    const PER_CHUNK = 4096;
    const chunk = new Uint8Array(level.length * PER_CHUNK);
    for (let i = 0; i < PER_CHUNK; i++) chunk.set(level, i * level.length);
    const LEVELS = 1_000_000; // 20 MB of input
    const reader = new Part10StreamReader(() => undefined);
    reader.push(head);
    gc();
    const before = process.memoryUsage().heapUsed;
    let error: unknown;
    try {
      for (let pushed = 0; pushed < LEVELS; pushed += PER_CHUNK) reader.push(chunk);
    } catch (thrown) {
      error = thrown;
    }
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    // Refused past a fixed depth (real files nest a few levels), holding a bounded depth, not MBs.
    expect(error).toMatchObject({ code: 'part10' });
    expect(retained).toBeLessThan(16 * 1024 * 1024);
  });

  it('does not keep an object per zero-length fragment of encapsulated pixel data', () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    // JPEG baseline; PixelData (7FE0,0010) OB of undefined length; a Basic Offset Table of one
    // entry (0): table mode, every fragment goes to frame 1 until the sequence delimiter.
    const head = writePart10({ transferSyntaxUid: '1.2.840.10008.1.2.4.50', dataset: [] });
    const pixelHeader = new Uint8Array([
      0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0x00, 0xe0, 0x04, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00,
    ]);
    const emptyItem = new Uint8Array([0xfe, 0xff, 0x00, 0xe0, 0x00, 0x00, 0x00, 0x00]);
    const PER_CHUNK = 8192;
    const chunk = new Uint8Array(emptyItem.length * PER_CHUNK);
    for (let i = 0; i < PER_CHUNK; i++) chunk.set(emptyItem, i * emptyItem.length);
    const FRAGMENTS = 1_000_000; // 8 MB of input, not one pixel byte
    const reader = new Part10StreamReader(() => undefined);
    reader.push(head);
    reader.push(pixelHeader);
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let pushed = 0; pushed < FRAGMENTS; pushed += PER_CHUNK) reader.push(chunk);
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    expect(reader.info).toBeDefined(); // the PixelData was reached
    expect(retained).toBeLessThan(8 * 1024 * 1024);
  });
});

// Internal errors stay visible: only format errors become FrameCacheError (keeping their cause);
// a TypeError / RangeError from our own code or a callback is rethrown as is and never retried.
import { describe, expect, it } from 'vitest';
import { Part10StreamReader } from '../../src/part10/part10-stream.js';
import { DicomwebSource } from '../../src/transport/dicomweb-source.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import type { FetchLike, Timers } from '../../src/core/ports.js';
import { TS, encapsulatedInstance, jpegLike, nativeInstance, noise } from '../helpers/part10-writer.js';
import { buildMultipart, orthancContentType, orthancFrameHeaders } from '../helpers/multipart-builder.js';

const INSTANCE = 'http://127.0.0.1:1/dicom-web/studies/1/series/2/instances/3';

/** Backoff sleeps fire at once. */
const instantTimers: Timers = {
  setTimeout: (cb, ms) => setTimeout(cb, ms >= 1000 ? ms : 0),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

function sourceOver(fetch: FetchLike, maxRetries = 2): DicomwebSource {
  return new DicomwebSource({
    fetch,
    headers: undefined,
    timers: instantTimers,
    requestTimeoutMs: 30_000,
    maxRetries,
    random: () => 0,
  });
}

describe('Part 10 reader', () => {
  it('rethrows an error of the frame callback as is, and again on the next push', () => {
    const file = encapsulatedInstance({ frames: [[jpegLike(200, 1)], [jpegLike(200, 2)]], table: 'bot' });
    const bug = new TypeError('callback bug');
    const reader = new Part10StreamReader(() => {
      throw bug;
    });
    let thrown: unknown;
    try {
      reader.push(file);
      reader.end();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(bug);
    expect(() => reader.push(new Uint8Array(1))).toThrow(bug);
  });

  it("turns corrupt deflate data into FrameCacheError(part10) that keeps fflate's error as cause", () => {
    const file = nativeInstance({ transferSyntaxUid: TS.deflated, frames: [noise(4000, 1)] });
    // The deflated dataset starts after the meta group: overwrite its block headers with 0xff
    // (block type 3 is reserved, a format error for every inflater).
    const broken = file.slice();
    const view = new DataView(broken.buffer);
    const metaEnd = 132 + 12 + view.getUint32(132 + 8, true);
    broken.fill(0xff, metaEnd, metaEnd + 16);
    let thrown: unknown;
    try {
      const reader = new Part10StreamReader(() => {});
      reader.push(broken);
      reader.end();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FrameCacheError);
    expect((thrown as FrameCacheError).code).toBe('part10');
    const cause = (thrown as FrameCacheError).cause as { code?: unknown } | undefined;
    expect(cause).toBeInstanceOf(Error);
    expect(typeof cause!.code).toBe('number');
  });
});

describe('DicomwebSource / runWithRetries', () => {
  it('retries a network TypeError and then gives FrameCacheError(http) with the TypeError as cause', async () => {
    let calls = 0;
    const failure = new TypeError('fetch failed');
    const fetch = (async () => {
      calls++;
      throw failure;
    }) as unknown as FetchLike;
    const error = await sourceOver(fetch, 2)
      .fetchFrames(INSTANCE, [1], () => {}, { signal: new AbortController().signal })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(calls).toBe(3);
    expect(error).toBeInstanceOf(FrameCacheError);
    expect((error as FrameCacheError).code).toBe('http');
    expect((error as FrameCacheError).cause).toBe(failure);
  });

  it('rethrows a RangeError of the frame callback as is, without retrying', async () => {
    let calls = 0;
    const body = new Uint8Array([1, 2, 3, 4]);
    const fetch = (async () => {
      calls++;
      return new Response(
        buildMultipart([{ headers: orthancFrameHeaders(INSTANCE, 1, body.length), body }], {
          boundary: 'b0',
        }) as BodyInit,
        {
          headers: { 'content-type': orthancContentType('b0') },
        },
      );
    }) as unknown as FetchLike;
    const bug = new RangeError('engine bug');
    const error = await sourceOver(fetch, 3)
      .fetchFrames(
        INSTANCE,
        [1],
        () => {
          throw bug;
        },
        { signal: new AbortController().signal },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBe(bug);
    expect(calls).toBe(1);
  });
});

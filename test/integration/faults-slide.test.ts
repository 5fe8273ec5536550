// openSlide (Node, real fetch) against the real Orthanc through the fault proxy: every fault mode
// on the series metadata request. openSlide's metadata request goes through the transport's
// retries (src/slide/slide.ts fetchMetadata), so each mode has ONE right outcome, asserted with
// the proxy's log proving the fault fired: a fault that is retryable and injected once gives the
// right slide after exactly one retry; a fault that is not retryable gives its FrameCacheError
// after one request; a mode that does not apply to a JSON answer gives the slide in one request.
// The retries are then tested as retries: a retryable fault on every attempt gives the error
// after exactly 1 + maxRetries requests, each of them faulted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../scripts/lib/proxy.mjs';
import { FrameCacheError } from '../../src/shared/errors.js';
import { openSlide, type Slide } from '../../src/slide/slide.js';
import {
  orthanc,
  proxiedSeriesUrl,
  proxyLog,
  resetProxy,
  setFault,
  trackUnhandledRejections,
} from './faults-support.js';

// Long enough for Orthanc to start a ~950 KB metadata answer on a loaded machine; stalls cost this much.
const TIMEOUT_MS = 2000;
const MAX_RETRIES = 2;

type Outcome =
  /** The fault is retried: the first request faulted, the second gave the slide. */
  | { retried: true }
  /** Not retryable: this error after one (faulted) request. */
  | { error: string; status?: number }
  /** The mode does not apply to this answer: the slide in one request (the proxy still marks it). */
  | { passes: true };

interface SlideCase {
  name: string;
  fault: Omit<Fault, 'match' | 'times'>;
  outcome: Outcome;
}

const CASES: SlideCase[] = [
  { name: 'status-500', fault: { mode: 'status-500' }, outcome: { retried: true } },
  { name: 'status-503 + Retry-After', fault: { mode: 'status-503', retryAfter: 1 }, outcome: { retried: true } },
  { name: 'status-429', fault: { mode: 'status-429' }, outcome: { retried: true } },
  { name: 'status-404', fault: { mode: 'status-404' }, outcome: { error: 'http', status: 404 } },
  { name: 'reset mid-body', fault: { mode: 'reset' }, outcome: { retried: true } },
  // Cut and ended cleanly: malformed JSON, which openSlide does not retry (docs/testing.md).
  { name: 'truncated (malformed JSON)', fault: { mode: 'truncate' }, outcome: { error: 'http' } },
  { name: 'stalled after headers', fault: { mode: 'stall' }, outcome: { retried: true } },
  { name: 'stalled before headers', fault: { mode: 'stall-headers' }, outcome: { retried: true } },
  { name: 'gzip broken', fault: { mode: 'gzip-broken' }, outcome: { retried: true } },
  // Node's fetch ends a cut gzip stream cleanly (no error): the JSON is cut, as with 'truncate',
  // and malformed JSON is not retried (a browser fails the body instead: retried there).
  { name: 'gzip truncated', fault: { mode: 'gzip-truncated' }, outcome: { error: 'http' } },
  // Node's fetch stalls on a bad CRC (the idle timeout ends it); either way a retry follows.
  { name: 'gzip bad CRC', fault: { mode: 'gzip-bad-crc' }, outcome: { retried: true } },
  // ~950 KB of metadata at 2 bytes per ms would take minutes; 2000 per ms is still 40 chunks per idle timeout.
  { name: 'slow drip', fault: { mode: 'drip', bytesPerMs: 2000 }, outcome: { passes: true } },
  // Multipart modes on a JSON answer: passed through unchanged.
  { name: 'drop-part (not multipart)', fault: { mode: 'drop-part' }, outcome: { passes: true } },
  { name: 'wrong-location (not multipart)', fault: { mode: 'wrong-location' }, outcome: { passes: true } },
  { name: 'single-part (not multipart)', fault: { mode: 'single-part' }, outcome: { passes: true } },
];

/** What a slide says, with URLs made relative to the series (the proxy and Orthanc differ in origin). */
function shapeOf(slide: Slide): unknown {
  const level = (l: Slide['levels'][number]) => ({
    index: l.index,
    width: l.width,
    height: l.height,
    frameWidth: l.frameWidth,
    frameHeight: l.frameHeight,
    frameCount: l.frameCount,
    transferSyntaxUid: l.transferSyntaxUid,
    instances: l.instances.map((i) => ({
      path: i.url.slice(slide.seriesUrl.length),
      uid: i.sopInstanceUid,
      frameCount: i.frameCount,
      frameOffset: i.frameOffset,
    })),
    probe: l.frameAt(Math.floor(l.width / 2), Math.floor(l.height / 2))?.frameNumber,
  });
  return { levels: slide.levels.map(level), ancillary: slide.ancillary.map(level) };
}

let unhandled: ReturnType<typeof trackUnhandledRejections>;
let reference: unknown;
const outcomes = new Map<string, string>();

beforeAll(async () => {
  unhandled = trackUnhandledRejections();
  reference = shapeOf(await openSlide(orthanc.slides.jpeg.seriesUrl));
});
afterAll(() => {
  unhandled.stop();
  console.log(
    `[faults-slide] ${outcomes.size} modes on openSlide: ${[...outcomes].map(([k, v]) => `${k} -> ${v}`).join('; ')}; ${unhandled.reasons.length} unhandled rejections`,
  );
  expect(unhandled.reasons).toEqual([]);
});

describe('openSlide() under injected faults', () => {
  it.each(CASES)('$name: the one right outcome, the fault seen in the proxy log', async ({ name, fault, outcome }) => {
    await resetProxy();
    await setFault({ ...fault, match: '/metadata', times: 1 } as Fault);
    const seriesUrl = proxiedSeriesUrl('jpeg');
    const first = await openSlide(seriesUrl, { requestTimeoutMs: TIMEOUT_MS, maxRetries: MAX_RETRIES }).then(
      (slide) => ({ slide }),
      (error: unknown) => ({ error }),
    );
    const requests = (await proxyLog()).filter((e) => e.path.endsWith('/metadata'));
    // The fault fired, on the first request only (times: 1).
    expect(requests[0]?.fault?.startsWith(fault.mode)).toBe(true);
    expect(requests.slice(1).every((e) => e.fault === undefined)).toBe(true);
    if ('error' in outcome) {
      expect('error' in first && first.error).toBeInstanceOf(FrameCacheError);
      const error = (first as { error: FrameCacheError }).error;
      expect(error.code).toBe(outcome.error);
      if (outcome.status !== undefined) expect(error.status).toBe(outcome.status);
      expect(requests).toHaveLength(1);
      outcomes.set(name, `${error.code} after 1 request`);
    } else {
      if ('error' in first) throw first.error;
      expect(shapeOf(first.slide)).toEqual(reference);
      expect(requests).toHaveLength('retried' in outcome ? 2 : 1);
      outcomes.set(name, `slide after ${requests.length} request(s)`);
    }
    const again = await openSlide(seriesUrl, { requestTimeoutMs: TIMEOUT_MS });
    expect(shapeOf(again)).toEqual(reference);
    expect(again.levels[0]!.instances[0]!.url.startsWith(`${seriesUrl}/instances/`)).toBe(true);
  });

  it.each([
    { name: 'status-503', fault: { mode: 'status-503' } as const, code: 'http', status: 503 },
    { name: 'reset mid-body', fault: { mode: 'reset' } as const, code: 'http', status: undefined },
    { name: 'stalled after headers', fault: { mode: 'stall' } as const, code: 'timeout', status: undefined },
  ])('retries $name maxRetries times, then gives $code', async ({ fault, code, status }) => {
    await resetProxy();
    await setFault({ ...fault, match: '/metadata' } as Fault);
    const error = await openSlide(proxiedSeriesUrl('jpeg'), {
      requestTimeoutMs: TIMEOUT_MS,
      maxRetries: MAX_RETRIES,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await setFault(undefined);
    const requests = (await proxyLog()).filter((e) => e.path.endsWith('/metadata'));
    expect(requests).toHaveLength(1 + MAX_RETRIES);
    expect(requests.every((e) => e.fault?.startsWith(fault.mode))).toBe(true);
    expect(error).toBeInstanceOf(FrameCacheError);
    expect((error as FrameCacheError).code).toBe(code);
    if (status !== undefined) expect((error as FrameCacheError).status).toBe(status);
  });
});

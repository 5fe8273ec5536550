// openSlide (Node, real fetch) against the real Orthanc through the fault proxy: every fault mode
// on the series metadata request. openSlide does not retry: a fault gives a FrameCacheError
// ('http' or 'timeout') or, for modes that do not apply to a JSON answer, the right slide; once
// the fault stops the same call gives the slide Orthanc describes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../scripts/lib/proxy.mjs';
import { FrameCacheError } from '../../src/shared/errors.js';
import { openSlide, type Slide } from '../../src/slide/slide.js';
import { orthanc, proxiedSeriesUrl, proxyLog, resetProxy, setFault, trackUnhandledRejections } from './faults-support.js';

const TIMEOUT_MS = 500;

interface SlideCase {
  name: string;
  fault: Omit<Fault, 'match' | 'times'>;
  /** The error codes the fault may give; none: the slide comes through intact. */
  codes: string[];
  status?: number;
}

const CASES: SlideCase[] = [
  { name: 'status-500', fault: { mode: 'status-500' }, codes: ['http'], status: 500 },
  { name: 'status-503 + Retry-After', fault: { mode: 'status-503', retryAfter: 1 }, codes: ['http'], status: 503 },
  { name: 'status-429', fault: { mode: 'status-429' }, codes: ['http'], status: 429 },
  { name: 'status-404', fault: { mode: 'status-404' }, codes: ['http'], status: 404 },
  { name: 'reset mid-body', fault: { mode: 'reset' }, codes: ['http'] },
  { name: 'truncated (malformed JSON)', fault: { mode: 'truncate' }, codes: ['http'] },
  { name: 'stalled after headers', fault: { mode: 'stall' }, codes: ['timeout'] },
  { name: 'stalled before headers', fault: { mode: 'stall-headers' }, codes: ['timeout'] },
  { name: 'gzip broken', fault: { mode: 'gzip-broken' }, codes: ['http'] },
  { name: 'gzip truncated', fault: { mode: 'gzip-truncated' }, codes: ['http'] },
  // Node's fetch stalls on a bad CRC (the idle timeout ends it); a browser fails the body.
  { name: 'gzip bad CRC', fault: { mode: 'gzip-bad-crc' }, codes: ['http', 'timeout'] },
  // ~950 KB of metadata at 2 bytes per ms would take minutes; 2000 per ms is still 40 chunks per idle timeout.
  { name: 'slow drip', fault: { mode: 'drip', bytesPerMs: 2000 }, codes: [] },
  // Multipart modes on a JSON answer: passed through unchanged.
  { name: 'drop-part (not multipart)', fault: { mode: 'drop-part' }, codes: [] },
  { name: 'wrong-location (not multipart)', fault: { mode: 'wrong-location' }, codes: [] },
  { name: 'single-part (not multipart)', fault: { mode: 'single-part' }, codes: [] },
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
    instances: l.instances.map((i) => ({ path: i.url.slice(slide.seriesUrl.length), uid: i.sopInstanceUid, frameCount: i.frameCount, frameOffset: i.frameOffset })),
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
  console.log(`[faults-slide] ${outcomes.size} modes on openSlide: ${[...outcomes].map(([k, v]) => `${k} -> ${v}`).join('; ')}; ${unhandled.reasons.length} unhandled rejections`);
  expect(unhandled.reasons).toEqual([]);
});

describe('openSlide() under injected faults', () => {
  it.each(CASES)('$name: a FrameCacheError or the right slide, then the right slide once the fault stops', async ({ name, fault, codes, status }) => {
    await resetProxy();
    await setFault({ ...fault, match: '/metadata', times: 1 } as Fault);
    const seriesUrl = proxiedSeriesUrl('jpeg');
    const first = await openSlide(seriesUrl, { requestTimeoutMs: TIMEOUT_MS }).then(
      (slide) => ({ slide }),
      (error: unknown) => ({ error }),
    );
    if ('error' in first) {
      expect(first.error).toBeInstanceOf(FrameCacheError);
      const error = first.error as FrameCacheError;
      expect(codes).toContain(error.code);
      if (status !== undefined) expect(error.status).toBe(status);
      outcomes.set(name, error.code);
    } else {
      expect(shapeOf(first.slide)).toEqual(reference);
      outcomes.set(name, 'slide');
    }
    const log = await proxyLog();
    const [entry] = log;
    expect(entry?.fault?.startsWith(fault.mode)).toBe(true);
    // A fault that would have been an error and was not: openSlide retried past it.
    if (!('error' in first) && codes.length > 0) expect(log.filter((e) => e.path.endsWith('/metadata')).length).toBeGreaterThanOrEqual(2);
    const again = await openSlide(seriesUrl, { requestTimeoutMs: TIMEOUT_MS });
    expect(shapeOf(again)).toEqual(reference);
    expect(again.levels[0]!.instances[0]!.url.startsWith(`${seriesUrl}/instances/`)).toBe(true);
  });
});

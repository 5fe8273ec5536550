// FrameCache (real worker, real fetch in Chromium) and openSlide against the real Orthanc through
// the fault proxy: every fault mode on frame blocks and whole instances, first for one attempt,
// then for every attempt, then not at all; openSlide under the faults that apply to JSON.
// Every frame returned and every frame in memory is compared with Orthanc's bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../scripts/lib/proxy.mjs';
import { FrameCache } from '../../src/page/frame-cache.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import { openSlide } from '../../src/slide/slide.js';
import {
  FrameChecker,
  instanceOf,
  proxiedSeriesUrl,
  proxyLog,
  referenceFrames,
  resetProxy,
  setFault,
  trackUnhandledRejections,
  type BrowserInstance,
} from './faults-helpers.js';

const MAX_RETRIES = 1;
/** The idle timeout of the modes whose attempts end by it (`stalls`). */
const TIMEOUT_MS = 500;
/**
 * The idle timeout of every other mode: one nothing waits for, so a loaded machine's slow first
 * byte (Orthanc parses the file first) is never counted as a timeout and retried, which would
 * change the exact counts these cases check.
 */
const RELAXED_TIMEOUT_MS = 10_000;
/** Orthanc's ~950 KB metadata answer must start within the idle timeout on a loaded machine. */
const OPEN_SLIDE_TIMEOUT_MS = 2000;

type Path = 'frames' | 'instance';
type Effect = 'retried' | 'fails' | 'harmless';

interface ModeCase {
  name: string;
  fault: Omit<Fault, 'match' | 'times'>;
  effect: Record<Path, Effect>;
  stalls?: boolean;
}

const retried: Record<Path, Effect> = { frames: 'retried', instance: 'retried' };
const MODES: ModeCase[] = [
  { name: 'status-500', fault: { mode: 'status-500' }, effect: retried },
  { name: 'status-503 + Retry-After: 0', fault: { mode: 'status-503', retryAfter: 0 }, effect: retried },
  { name: 'status-429', fault: { mode: 'status-429' }, effect: retried },
  { name: 'status-404', fault: { mode: 'status-404' }, effect: { frames: 'fails', instance: 'fails' } },
  { name: 'reset mid-body', fault: { mode: 'reset' }, effect: retried },
  { name: 'truncated inside a part', fault: { mode: 'truncate' }, effect: retried },
  { name: 'one part missing', fault: { mode: 'drop-part' }, effect: retried },
  {
    name: 'one part missing, no Content-Location',
    fault: { mode: 'drop-part', stripLocations: true },
    effect: retried,
  },
  {
    name: 'wrong Content-Location',
    fault: { mode: 'wrong-location' },
    effect: { frames: 'retried', instance: 'harmless' },
  },
  { name: 'stalled after headers', fault: { mode: 'stall' }, effect: retried, stalls: true },
  { name: 'stalled before headers', fault: { mode: 'stall-headers' }, effect: retried, stalls: true },
  {
    name: 'single part instead of multipart',
    fault: { mode: 'single-part' },
    effect: { frames: 'retried', instance: 'harmless' },
  },
  { name: 'gzip broken', fault: { mode: 'gzip-broken' }, effect: retried },
  { name: 'gzip truncated', fault: { mode: 'gzip-truncated' }, effect: retried },
  // Chromium does not check the gzip CRC-32: the data decodes whole and the answer is used as is.
  { name: 'gzip bad CRC', fault: { mode: 'gzip-bad-crc' }, effect: { frames: 'harmless', instance: 'harmless' } },
];

const checker = new FrameChecker();
const tried = new Set<string>();
let unhandled: ReturnType<typeof trackUnhandledRejections>;

beforeAll(() => {
  unhandled = trackUnhandledRejections();
});
afterAll(() => {
  unhandled.stop();
  console.log(
    `[faults-chromium] ${tried.size} mode x path cases, ${checker.verified} frames verified, ${checker.wrong} wrong frames returned or cached, ` +
      `${unhandled.reasons.length} unhandled rejections`,
  );
  expect(unhandled.reasons).toEqual([]);
});

function expectNoWrongFrames(before: number): void {
  expect(checker.wrong - before, 'wrong frames returned or cached').toBe(0);
}

async function requestsTo(instance: BrowserInstance): Promise<number> {
  return (await proxyLog()).filter((e) => e.path.includes(instance.sopInstanceUid)).length;
}

/** How many requests for the instance the proxy answered with the fault (a harmless outcome proves nothing unless it fired). */
async function faultedRequests(instance: BrowserInstance, mode: string): Promise<number> {
  return (await proxyLog()).filter(
    (e) => e.path.includes(instance.sopInstanceUid) && e.fault?.startsWith(mode) === true,
  ).length;
}

describe('FrameCache under injected faults (Chromium)', () => {
  describe.each(['frames', 'instance'] as const)('getFrames() of a %s load', (path) => {
    it.each(MODES)('$name: recovers, gives up after maxRetries, succeeds again; never a wrong frame', async (mode) => {
      tried.add(`${mode.name}/${path}`);
      const wrongBefore = checker.wrong;
      const instance = instanceOf('jpeg', 3); // 12 frames
      const all = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
      const reference = await referenceFrames(instance);
      const effect = mode.effect[path];
      const match = path === 'frames' ? `${instance.sopInstanceUid}/frames/` : instance.sopInstanceUid;
      // The original's policy: each case pins one transport path and counts its requests.
      const cache = new FrameCache({
        hint: 'minimize-requests',
        maxRetries: MAX_RETRIES,
        requestTimeoutMs: mode.stalls === true ? TIMEOUT_MS : RELAXED_TIMEOUT_MS,
        wholeInstanceMaxFrames: path === 'frames' ? 0 : 10000,
      });
      try {
        // 1. One faulty attempt.
        await resetProxy();
        await setFault({ ...mode.fault, match, times: 1 } as Fault);
        let defined = checker.returned(await cache.getFrames(instance, all), all, reference);
        await cache.waitForLoads();
        let stats = await cache.stats();
        expect(stats.requests).toBe(await requestsTo(instance));
        expect(await faultedRequests(instance, mode.fault.mode)).toBe(1);
        if (effect === 'fails') {
          expect(defined).toBe(0);
          expect(stats).toMatchObject({ retries: 0, failedRequests: 1 });
        } else {
          expect(defined).toBe(instance.frameCount);
          expect(stats.failedRequests).toBe(0);
          expect(stats.retries).toBe(effect === 'retried' ? 1 : 0);
        }
        expect(stats.timeouts).toBe(mode.stalls === true ? 1 : 0);
        expect(await checker.cached(cache, instance)).toBe(effect === 'fails' ? 0 : instance.frameCount);
        expectNoWrongFrames(wrongBefore);

        // 2. Every attempt faulty: retries bounded and counted.
        await cache.clear();
        await cache.resetStats();
        await resetProxy();
        await setFault({ ...mode.fault, match, times: 1000 } as Fault);
        defined = checker.returned(await cache.getFrames(instance, all), all, reference);
        await cache.waitForLoads();
        stats = await cache.stats();
        expect(stats.requests).toBe(await requestsTo(instance));
        // Every request of this phase met the fault.
        expect(await faultedRequests(instance, mode.fault.mode)).toBe(stats.requests);
        if (effect === 'harmless') {
          expect(defined).toBe(instance.frameCount);
          expect(stats).toMatchObject({ retries: 0, failedRequests: 0 });
        } else if (effect === 'fails') {
          expect(defined).toBeLessThan(instance.frameCount);
          expect(stats).toMatchObject({ retries: 0, failedRequests: 1 });
        } else {
          // Each retry asks only for the frames not yet delivered: a fault that cuts an answer
          // in its middle may let the last, shorter answer through. Retries stay bounded.
          expect(stats.retries).toBeGreaterThanOrEqual(1);
          expect(stats.retries).toBeLessThanOrEqual(MAX_RETRIES);
          expect(stats.failedRequests).toBe(defined < instance.frameCount ? 1 : 0);
        }
        expect(stats.timeouts).toBe(mode.stalls === true ? MAX_RETRIES + 1 : 0);
        expect(await checker.cached(cache, instance)).toBe(defined);
        expectNoWrongFrames(wrongBefore);

        // 3. The fault stops: the same call succeeds.
        await resetProxy();
        expect(checker.returned(await cache.getFrames(instance, all), all, reference)).toBe(instance.frameCount);
        await cache.waitForLoads();
        expect(await checker.cached(cache, instance)).toBe(instance.frameCount);
        expectNoWrongFrames(wrongBefore);
      } finally {
        await cache.close();
      }
    });
  });

  it('slow drip: a 10-frame answer far slower than the idle timeout arrives whole, without a timeout', async () => {
    tried.add('drip/frames');
    const wrongBefore = checker.wrong;
    const instance = instanceOf('jpeg', 0);
    const numbers = Array.from({ length: 10 }, (_, i) => i + 1);
    const reference = await referenceFrames(instance, 10);
    const cache = new FrameCache({
      hint: 'minimize-requests',
      maxRetries: MAX_RETRIES,
      // 1 s: a loaded machine can pause the proxy's drip for a few hundred ms.
      requestTimeoutMs: 1000,
      wholeInstanceMaxFrames: 0,
      framesPerMiss: 10,
    });
    try {
      await resetProxy();
      await setFault({ mode: 'drip', bytesPerMs: 16, match: instance.sopInstanceUid, times: 1 });
      expect(checker.returned(await cache.getFrames(instance, numbers), numbers, reference)).toBe(10);
      const [entry] = await proxyLog();
      expect(entry!.bytes / 16).toBeGreaterThan(4 * 1000);
      expect(await cache.stats()).toMatchObject({ timeouts: 0, retries: 0, failedRequests: 0, requests: 1 });
      expectNoWrongFrames(wrongBefore);
    } finally {
      await cache.close();
    }
  });
});

describe('openSlide() under injected faults (Chromium)', () => {
  // One right outcome per mode (openSlide's metadata request has the transport's retries), the
  // proxy log proving the fault fired: 'retried' = the slide after exactly one retry; an error
  // code = that error after the one faulted request; 'passes' = the slide from the faulted answer.
  const cases: { fault: Omit<Fault, 'match' | 'times'>; outcome: 'retried' | 'passes' | 'http' }[] = [
    { fault: { mode: 'status-500' }, outcome: 'retried' },
    { fault: { mode: 'status-404' }, outcome: 'http' },
    { fault: { mode: 'reset' }, outcome: 'retried' },
    // Cut and ended cleanly: malformed JSON, not retried (docs/testing.md).
    { fault: { mode: 'truncate' }, outcome: 'http' },
    { fault: { mode: 'stall' }, outcome: 'retried' },
    { fault: { mode: 'stall-headers' }, outcome: 'retried' },
    { fault: { mode: 'gzip-broken' }, outcome: 'retried' },
    // Chromium, like Node's fetch, ends a cut gzip body cleanly: malformed JSON, not retried.
    { fault: { mode: 'gzip-truncated' }, outcome: 'http' },
    { fault: { mode: 'gzip-bad-crc' }, outcome: 'passes' }, // the CRC is not checked: the JSON decodes whole
    { fault: { mode: 'drip', bytesPerMs: 2000 }, outcome: 'passes' },
  ];
  it.each(cases)('$fault.mode: $outcome, the fault seen in the proxy log', async ({ fault, outcome }) => {
    tried.add(`${fault.mode}/openSlide`);
    const seriesUrl = proxiedSeriesUrl('jpeg');
    await resetProxy();
    // No HTTP cache: every openSlide must reach the proxy for its log to count the requests.
    const noStore = ((url: string, init?: RequestInit) =>
      fetch(url, { ...init, cache: 'no-store' })) as unknown as NonNullable<Parameters<typeof openSlide>[1]>['fetch'];
    const expected = await openSlide(seriesUrl, { fetch: noStore });
    await resetProxy();
    await setFault({ ...fault, match: '/metadata', times: 1 } as Fault);
    const result = await openSlide(seriesUrl, {
      requestTimeoutMs: OPEN_SLIDE_TIMEOUT_MS,
      maxRetries: 2,
      fetch: noStore,
    }).then(
      (slide) => ({ slide }),
      (error: unknown) => ({ error }),
    );
    const requests = (await proxyLog()).filter((e) => e.path.endsWith('/metadata'));
    expect(requests[0]?.fault?.startsWith(fault.mode)).toBe(true);
    expect(requests.slice(1).every((e) => e.fault === undefined)).toBe(true);
    if (outcome === 'http') {
      expect('error' in result && result.error).toBeInstanceOf(FrameCacheError);
      expect((result as { error: FrameCacheError }).error.code).toBe('http');
      expect(requests).toHaveLength(1);
    } else {
      if ('error' in result) throw result.error;
      expect(result.slide.levels.map((l) => l.instances.map((i) => i.url))).toEqual(
        expected.levels.map((l) => l.instances.map((i) => i.url)),
      );
      expect(requests).toHaveLength(outcome === 'retried' ? 2 : 1);
    }
    const again = await openSlide(seriesUrl, { requestTimeoutMs: OPEN_SLIDE_TIMEOUT_MS, fetch: noStore });
    expect(again.levels.map((l) => l.frameCount)).toEqual(expected.levels.map((l) => l.frameCount));
  });
});

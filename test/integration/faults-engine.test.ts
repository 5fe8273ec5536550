// FrameCacheEngine (Node, real fetch) against the real Orthanc through the fault proxy: every
// fault mode on frame blocks and on whole instances, first for one attempt (the retry recovers),
// then for every attempt (retries run out), then not at all (the same calls succeed). Every frame
// returned and every frame in memory is compared with Orthanc's own bytes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../scripts/lib/proxy.mjs';
import { FrameCacheEngine } from '../../src/platform/frame-cache-engine.js';
import {
  checkCached,
  checkReturned,
  newFigures,
  proxyLog,
  recordingLogger,
  recordingTimers,
  referenceFrames,
  resetProxy,
  sampleInstance,
  setFault,
  trackUnhandledRejections,
  type TestInstance,
} from './faults-support.js';

const MAX_RETRIES = 2;
/** The idle timeout of the modes whose attempts end by it (`stalls`, `waitsForTimeout`). */
const TIMEOUT_MS = 500;
/**
 * The idle timeout of every other mode: one nothing waits for, so a loaded machine's slow first
 * byte (Orthanc parses the file first) is never counted as a timeout and retried, which would
 * change the exact counts these cases check.
 */
const RELAXED_TIMEOUT_MS = 10_000;

type Path = 'frames' | 'instance';
/** What one faulty attempt does to a load: it is retried, it fails at once, or it does no harm. */
type Effect = 'retried' | 'fails' | 'harmless';

interface ModeCase {
  name: string;
  fault: Omit<Fault, 'match' | 'times'>;
  effect: Record<Path, Effect>;
  /** Every attempt ends by the idle timeout (counted exactly; the modes without a flag: none). */
  stalls?: boolean;
  /** Some attempts end by the idle timeout (Node's fetch stalls after a bad gzip CRC; its retries differ). */
  waitsForTimeout?: boolean;
}

const timeoutOf = (mode: ModeCase): number =>
  mode.stalls === true || mode.waitsForTimeout === true ? TIMEOUT_MS : RELAXED_TIMEOUT_MS;

/** The timeouts a phase of `mode` counts when each of its `attempts` met the fault; undefined: not checked. */
const timeoutsOf = (mode: ModeCase, attempts: number): number | undefined =>
  mode.stalls === true ? attempts : mode.waitsForTimeout === true ? undefined : 0;

const retried: Record<Path, Effect> = { frames: 'retried', instance: 'retried' };
const MODES: ModeCase[] = [
  { name: 'status-500', fault: { mode: 'status-500' }, effect: retried },
  { name: 'status-503 + Retry-After: 1', fault: { mode: 'status-503', retryAfter: 1 }, effect: retried },
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
  // The instance answer's single part has no /frames/N location to get wrong.
  {
    name: 'wrong Content-Location',
    fault: { mode: 'wrong-location' },
    effect: { frames: 'retried', instance: 'harmless' },
  },
  { name: 'stalled after headers', fault: { mode: 'stall' }, effect: retried, stalls: true },
  { name: 'stalled before headers', fault: { mode: 'stall-headers' }, effect: retried, stalls: true },
  // A bare application/dicom instance answer is valid (Google's form); a bare frame is not, for 12 frames.
  {
    name: 'single part instead of multipart',
    fault: { mode: 'single-part' },
    effect: { frames: 'retried', instance: 'harmless' },
  },
  { name: 'gzip broken', fault: { mode: 'gzip-broken' }, effect: retried },
  { name: 'gzip truncated', fault: { mode: 'gzip-truncated' }, effect: retried },
  // Node's fetch stalls (rather than fails) on a bad gzip CRC: the idle timeout ends it.
  { name: 'gzip bad CRC', fault: { mode: 'gzip-bad-crc' }, effect: retried, waitsForTimeout: true },
];

const INSTANCES: Record<Path, () => TestInstance> = {
  frames: () => sampleInstance('jpeg', 3), // 12 frames of ~22 KB, one block request
  instance: () => sampleInstance('jpeg', 3),
};

const figures = newFigures();
let unhandled: ReturnType<typeof trackUnhandledRejections>;
const tried = new Set<string>();

beforeAll(() => {
  unhandled = trackUnhandledRejections();
});
afterAll(() => {
  unhandled.stop();
  console.log(
    `[faults-engine] ${tried.size} mode x path cases, ${figures.cases} phases, ${figures.framesVerified} frames verified, ` +
      `${figures.wrongFrames} wrong frames returned, ${figures.wrongCached} wrong frames cached, ${unhandled.reasons.length} unhandled rejections`,
  );
  expect(unhandled.reasons).toEqual([]);
  expect(figures.wrongFrames + figures.wrongCached).toBe(0);
});

function makeEngine(path: Path, timeoutMs: number) {
  const timers = recordingTimers(timeoutMs);
  const logger = recordingLogger();
  // The original's policy: each case pins one transport path (a frames request or a whole
  // instance) and counts its requests; the visible-first policy rides the same paths.
  const engine = new FrameCacheEngine({
    hint: 'minimize-requests',
    maxRetries: MAX_RETRIES,
    requestTimeoutMs: timeoutMs,
    wholeInstanceMaxFrames: path === 'frames' ? 0 : 10000,
    timers,
    logger,
  });
  return { engine, timers, logger };
}

/** Asserts that no wrong frame was returned or cached since the last call. */
function noWrongFramesSince(): () => void {
  let seen = figures.wrongFrames + figures.wrongCached;
  return () => {
    const now = figures.wrongFrames + figures.wrongCached;
    expect(now - seen, 'wrong frames returned or cached').toBe(0);
    seen = now;
  };
}

async function requestsTo(instance: TestInstance): Promise<number> {
  return (await proxyLog()).filter((e) => e.path.includes(instance.sopInstanceUid)).length;
}

describe('FrameCacheEngine under injected faults', () => {
  describe.each(['frames', 'instance'] as const)('getFrames() of a %s load', (path) => {
    it.each(MODES)(
      '$name: recovers, then gives up after maxRetries, then succeeds again; never a wrong frame',
      async (mode) => {
        tried.add(`${mode.name}/${path}`);
        const instance = INSTANCES[path]();
        const all = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
        const reference = await referenceFrames(instance);
        const { engine, timers } = makeEngine(path, timeoutOf(mode));
        const effect = mode.effect[path];
        const match = path === 'frames' ? `${instance.sopInstanceUid}/frames/` : instance.sopInstanceUid;
        const expectNoWrongFrames = noWrongFramesSince();

        // 1. The fault hits one attempt.
        await resetProxy();
        await setFault({ ...mode.fault, match, times: 1 } as Fault);
        let frames = await engine.getFrames(instance, all);
        await engine.waitForLoads();
        figures.cases++;
        let defined = checkReturned(figures, frames, all, reference);
        expectNoWrongFrames();
        let stats = await engine.stats();
        expect(stats.requests).toBe(await requestsTo(instance));
        if (effect === 'fails') {
          expect(defined).toBe(0);
          expect(stats).toMatchObject({ retries: 0, failedRequests: 1, memoryBytes: 0 });
        } else {
          expect(defined).toBe(instance.frameCount);
          expect(stats.failedRequests).toBe(0);
          if (effect === 'retried') expect(stats.retries).toBeGreaterThanOrEqual(1);
          else expect(stats.retries).toBe(0);
          expect(stats.retries).toBeLessThanOrEqual(MAX_RETRIES);
        }
        const timeoutsOnce = timeoutsOf(mode, 1);
        if (timeoutsOnce !== undefined) expect(stats.timeouts).toBe(timeoutsOnce);
        if (mode.fault.retryAfter !== undefined) expect(timers.delays).toContain(mode.fault.retryAfter * 1000);
        expect(await checkCached(figures, (u, n) => engine.getCachedFrame(u, n), instance)).toBe(
          effect === 'fails' ? 0 : instance.frameCount,
        );
        expectNoWrongFrames();

        // 2. The fault hits every attempt: bounded retries, counted, frames delivered before each failure kept.
        await engine.clear();
        await engine.resetStats();
        await resetProxy();
        await setFault({ ...mode.fault, match, times: 1000 } as Fault);
        frames = await engine.getFrames(instance, all);
        await engine.waitForLoads();
        figures.cases++;
        defined = checkReturned(figures, frames, all, reference);
        expectNoWrongFrames();
        stats = await engine.stats();
        expect(stats.requests).toBe(await requestsTo(instance));
        if (effect === 'harmless') {
          expect(defined).toBe(instance.frameCount);
          expect(stats).toMatchObject({ retries: 0, failedRequests: 0 });
        } else {
          expect(defined).toBeLessThan(instance.frameCount);
          expect(stats.retries).toBe(effect === 'fails' ? 0 : MAX_RETRIES);
          expect(stats.failedRequests).toBe(1);
          expect(stats.requests).toBe(1 + stats.retries);
        }
        const timeoutsEvery = timeoutsOf(mode, MAX_RETRIES + 1);
        if (timeoutsEvery !== undefined) expect(stats.timeouts).toBe(timeoutsEvery);
        const cached = await checkCached(figures, (u, n) => engine.getCachedFrame(u, n), instance);
        expectNoWrongFrames();
        expect(cached).toBe(defined);

        // 3. The fault stops: the same call succeeds, every frame exact.
        await resetProxy();
        frames = await engine.getFrames(instance, all);
        await engine.waitForLoads();
        figures.cases++;
        expect(checkReturned(figures, frames, all, reference)).toBe(instance.frameCount);
        expect(await checkCached(figures, (u, n) => engine.getCachedFrame(u, n), instance)).toBe(instance.frameCount);
        expectNoWrongFrames();
        expect((await engine.stats()).failedRequests).toBe(stats.failedRequests);
        await engine.close();
      },
    );
  });

  describe('a slow drip (the idle timer restarts on every byte)', () => {
    it.each([
      // 10 frames of ~9.5 KB (the 768-frame JPEG level), 16 bytes per ms: 6 s or more for an answer
      // with a 1 s idle timeout (1 s: a loaded machine can pause the proxy's drip for a few hundred ms).
      { path: 'frames' as const, instance: () => sampleInstance('jpeg', 0), frames: 10, bytesPerMs: 16 },
      // A 4-frame instance of ~77 KB at 16 bytes per ms: ~4.8 s.
      { path: 'instance' as const, instance: () => sampleInstance('jpeg', 4), frames: 4, bytesPerMs: 16 },
    ])(
      '$path: delivers every frame exactly, without a timeout or a retry',
      async ({ path, instance: pick, frames: count, bytesPerMs }) => {
        tried.add(`drip/${path}`);
        const timeoutMs = 1000;
        const expectNoWrongFrames = noWrongFramesSince();
        const instance = pick();
        const numbers = Array.from({ length: count }, (_, i) => i + 1);
        const reference = await referenceFrames(instance);
        const timers = recordingTimers(timeoutMs);
        const engine = new FrameCacheEngine({
          hint: 'minimize-requests',
          maxRetries: MAX_RETRIES,
          requestTimeoutMs: timeoutMs,
          wholeInstanceMaxFrames: path === 'frames' ? 0 : 10000,
          framesPerMiss: count,
          timers,
        });
        await resetProxy();
        await setFault({ mode: 'drip', bytesPerMs, match: instance.sopInstanceUid, times: 1 });
        const frames = await engine.getFrames(instance, numbers);
        await engine.waitForLoads();
        figures.cases++;
        expect(checkReturned(figures, frames, numbers, reference)).toBe(count);
        expectNoWrongFrames();
        const [entry] = await proxyLog();
        expect(entry?.fault).toBe('drip');
        // The answer cannot have arrived faster than bytesPerMs allows: far longer than the idle timeout.
        expect(entry!.bytes / bytesPerMs).toBeGreaterThan(4 * timeoutMs);
        expect(await engine.stats()).toMatchObject({ timeouts: 0, retries: 0, failedRequests: 0, requests: 1 });
        expect(await checkCached(figures, (u, n) => engine.getCachedFrame(u, n), instance)).toBe(count);
        expectNoWrongFrames();
        await engine.close();
      },
    );
  });
});

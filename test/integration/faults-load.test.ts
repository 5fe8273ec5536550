// Load against the real Orthanc through the proxy (Node engine): 2,000 concurrent getFrame calls
// over overlapping ranges of several instances with a small memory bound. Checked: no frame is
// requested while a running request still owes it, memoryBytes <= maxBytes after every settled
// call, the bytes of the frames still in memory (read back, not the counter) <= maxBytes after
// every churn round, every frame returned is Orthanc's, and the heap stays flat over a long churn (figures
// printed; only a loose bound asserted).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameCallback, SourceRequestOptions } from '../../src/core/ports.js';
import { DicomwebSource } from '../../src/transport/dicomweb-source.js';
import { FrameCacheEngine } from '../../src/platform/frame-cache-engine.js';
import { realTimers } from '../../src/shared/real-timers.js';
import {
  proxyLog,
  referenceFrames,
  resetProxy,
  sameBytes,
  sampleInstance,
  trackUnhandledRejections,
  type TestInstance,
} from './faults-support.js';

const CALLS = 2000;
const MAX_BYTES = 2 * 1024 * 1024;
const ROUNDS = 10;

/** A DicomwebSource that records, per instance, the frames owed by running requests. */
class CheckedSource extends DicomwebSource {
  readonly owed = new Map<string, Map<number, number>>();
  violations: string[] = [];
  framesRequested = 0;
  framesDelivered = 0;

  override async fetchFrames(
    instanceUrl: string,
    frameNumbers: number[],
    onFrame: FrameCallback,
    opts: SourceRequestOptions,
  ): Promise<void> {
    let owed = this.owed.get(instanceUrl);
    if (owed === undefined) this.owed.set(instanceUrl, (owed = new Map()));
    for (const n of frameNumbers) {
      if ((owed.get(n) ?? 0) > 0)
        this.violations.push(`${instanceUrl.slice(-12)} frame ${n} requested while in flight`);
      owed.set(n, (owed.get(n) ?? 0) + 1);
    }
    this.framesRequested += frameNumbers.length;
    const pending = new Set(frameNumbers);
    const release = (n: number): void => {
      if (!pending.delete(n)) return;
      owed!.set(n, owed!.get(n)! - 1);
    };
    try {
      await super.fetchFrames(
        instanceUrl,
        frameNumbers,
        (n, bytes) => {
          this.framesDelivered++;
          release(n);
          onFrame(n, bytes);
        },
        opts,
      );
    } finally {
      for (const n of pending) release(n);
    }
  }
}

/** xorshift32: the same calls every run. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** `count` (instance, frameNumber) calls in overlapping windows of 24 frames. */
function overlappingCalls(instances: TestInstance[], count: number, seed: number): [TestInstance, number][] {
  const next = random(seed);
  const calls: [TestInstance, number][] = [];
  while (calls.length < count) {
    const instance = instances[Math.floor(next() * instances.length)]!;
    const start = 1 + Math.floor(next() * Math.max(1, instance.frameCount - 24));
    for (let n = start; n < start + 24 && n <= instance.frameCount && calls.length < count; n++)
      calls.push([instance, n]);
  }
  return calls;
}

function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const INSTANCES = (): TestInstance[] => [
  sampleInstance('jpeg', 0),
  sampleInstance('jpeg', 1),
  sampleInstance('jpeg', 2),
  sampleInstance('split', 0, 0),
  sampleInstance('split', 0, 1),
];

let unhandled: ReturnType<typeof trackUnhandledRejections>;
const report: string[] = [];
beforeAll(() => {
  unhandled = trackUnhandledRejections();
});
afterAll(() => {
  unhandled.stop();
  console.log(`[faults-load] ${report.join('; ')}; ${unhandled.reasons.length} unhandled rejections`);
  expect(unhandled.reasons).toEqual([]);
});

function engineOver(source: CheckedSource): FrameCacheEngine {
  return new FrameCacheEngine({
    source,
    maxBytes: MAX_BYTES,
    wholeInstanceMaxFrames: 0,
    framesPerMiss: 32,
    framesPerRequest: 16,
    maxConcurrentRequests: 4,
  });
}

function newSource(): CheckedSource {
  return new CheckedSource({
    fetch: undefined,
    headers: undefined,
    timers: realTimers,
    requestTimeoutMs: 30000,
    maxRetries: 2,
  });
}

/** Fires every call at once; checks each result and memoryBytes when it settles. */
async function fire(
  engine: FrameCacheEngine,
  calls: [TestInstance, number][],
  references: Map<TestInstance, Uint8Array[]>,
) {
  let wrong = 0;
  let missing = 0;
  let overBound = 0;
  let maxMemory = 0;
  await Promise.all(
    calls.map(([instance, n]) =>
      engine.getFrame(instance, n).then(async (bytes) => {
        if (bytes === undefined) missing++;
        else if (!sameBytes(bytes, references.get(instance)![n - 1]!)) wrong++;
        const { memoryBytes } = await engine.stats();
        maxMemory = Math.max(maxMemory, memoryBytes);
        if (memoryBytes > MAX_BYTES) overBound++;
      }),
    ),
  );
  return { wrong, missing, overBound, maxMemory };
}

describe('FrameCacheEngine under load', () => {
  it(`${CALLS} concurrent getFrame calls: no frame fetched twice while in flight, memory bound held after every call`, async () => {
    const instances = INSTANCES();
    const references = new Map(
      await Promise.all(instances.map(async (i) => [i, await referenceFrames(i, 64)] as const)),
    );
    await resetProxy();
    const source = newSource();
    const engine = engineOver(source);
    const calls = overlappingCalls(instances, CALLS, 7);
    const result = await fire(engine, calls, references);
    await engine.waitForLoads();
    const stats = await engine.stats();
    report.push(
      `${CALLS} concurrent calls over ${instances.length} instances, maxBytes ${MAX_BYTES}: ${stats.requests} requests, ` +
        `${source.framesRequested} frames requested, ${stats.evictions} evictions, max memoryBytes ${result.maxMemory}, ` +
        `${source.violations.length} in-flight duplicates, ${result.wrong} wrong frames, ${result.overBound} over the bound`,
    );
    expect(source.violations).toEqual([]);
    expect(result).toMatchObject({ wrong: 0, missing: 0, overBound: 0 });
    expect(stats.memoryBytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(stats.failedRequests).toBe(0);
    expect(stats.requests).toBe((await proxyLog()).length);
    // Overlapping windows: far fewer frames fetched than calls made.
    expect(source.framesRequested).toBeLessThan(CALLS);
    await engine.close();
  });

  it('the in-flight check sees duplicates: two engines over one source fetch the same frames together', async () => {
    const instances = INSTANCES().slice(0, 1);
    const references = new Map(
      await Promise.all(instances.map(async (i) => [i, await referenceFrames(i, 64)] as const)),
    );
    const source = newSource();
    const [a, b] = [engineOver(source), engineOver(source)];
    const calls = overlappingCalls(instances, 48, 3);
    await Promise.all([fire(a, calls, references), fire(b, calls, references)]);
    expect(source.violations.length).toBeGreaterThan(0);
    await Promise.all([a.close(), b.close()]);
  });

  it(`keeps the heap flat over a long churn (${ROUNDS} x 2,000 calls through a 2 MiB cache)`, async () => {
    const gc = exposeGc();
    const instances = INSTANCES();
    const references = new Map(
      await Promise.all(instances.map(async (i) => [i, await referenceFrames(i, 64)] as const)),
    );
    const source = newSource();
    const engine = engineOver(source);
    const heap: number[] = [];
    const heldBytes: number[] = [];
    let wrong = 0;
    let overBound = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const result = await fire(engine, overlappingCalls(instances, CALLS, 100 + round), references);
      wrong += result.wrong;
      overBound += result.overBound;
      await engine.waitForLoads();
      // The bound measured from the frames themselves, not from the engine's byte counter.
      let held = 0;
      for (const instance of instances) {
        for (let n = 1; n <= instance.frameCount; n++)
          held += (await engine.getCachedFrame(instance.url, n))?.byteLength ?? 0;
      }
      heldBytes.push(held);
      if (held > MAX_BYTES) overBound++;
      gc();
      heap.push(process.memoryUsage().heapUsed);
    }
    const stats = await engine.stats();
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    const settled = heap.slice(2);
    report.push(
      `churn: ${ROUNDS * CALLS} calls, ${stats.requests} requests, ${stats.evictions} evictions; heapUsed after gc ` +
        `round 1 ${mb(heap[0]!)} MB, round 3 ${mb(heap[2]!)} MB, round ${ROUNDS} ${mb(heap[ROUNDS - 1]!)} MB, max ${mb(Math.max(...heap))} MB; bytes held after each round (counted from the frames) max ${Math.max(...heldBytes)}`,
    );
    expect(source.violations).toEqual([]);
    expect(wrong).toBe(0);
    expect(overBound).toBe(0);
    expect(Math.min(...heldBytes)).toBeGreaterThan(0);
    // Loose: a leak of every frame fetched (~several hundred MB) would break this; noise would not.
    expect(Math.max(...settled) - Math.min(...settled)).toBeLessThan(32 * 1024 * 1024);
    await engine.close();
  });
});

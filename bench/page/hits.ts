/**
 * The hit path (issue 4, `npm run bench:hits`): what a viewer pays for a tile already cached.
 *  - floor: raw postMessage + transfer echo of a 64 KiB buffer to a worker (and to a SharedWorker);
 *  - batch floor: the echo of one 1 MiB buffer (16 frames), per frame: what getFrames of 16 pays
 *    at least to cross (per byte, across processes, for a SharedWorker);
 *  - copy floor: the same round trip answered with a fresh copy of a buffer the worker keeps, as
 *    any cache must answer that never gives its own buffer away (docs/worker-cost.md);
 *  - FrameCache.getFrame hit with the hot tier off (a worker round trip), p50 / p95;
 *  - FrameCache.getFrames of 16 cached frames, per frame;
 *  - hot-tier hit (hotBytes on): a main-thread Map lookup behind an async method.
 * Each single round trip is timed on its own (the page is cross-origin isolated, so the clock is
 * fine-grained); hot-tier hits are timed in batches of calls, whatever the clock.
 */
import { FrameCache, type FrameCacheFacadeOptions } from '../../src/page/frame-cache.js';
import { type InstanceTarget, type SeriesTarget, instanceUrl } from './readers.js';
import { now, percentile } from './timing.js';

export interface HitsResult {
  crossOriginIsolated: boolean;
  /** Smallest step of performance.now() seen, µs. */
  clockStepUs: number;
  iterations: number;
  frameBytes: number;
  rawEchoUs: { p50: number; p95: number };
  /** The same echo through a SharedWorker's port (the floor of shared mode). */
  sharedEchoUs: { p50: number; p95: number } | undefined;
  /** The echo answered with a fresh copy (64 KiB allocated and filled in the worker), transferred. */
  copyEchoUs: { p50: number; p95: number };
  sharedCopyEchoUs: { p50: number; p95: number } | undefined;
  /** The echo of one 1 MiB buffer (16 frames of 64 KiB), per frame: the floor of getFrames of 16. */
  batchEchoPerFrameUs: { p50: number; p95: number };
  sharedBatchEchoPerFrameUs: { p50: number; p95: number } | undefined;
  /**
   * A small request answered with a copy of a 1 MiB buffer into memory made ready after the last
   * answer (as the module packs getFrames), per frame: what getFrames of 16 pays at least where the
   * frames must be copied out of the cache and cross to the page.
   */
  batchCopyPerFrameUs: { p50: number; p95: number };
  sharedBatchCopyPerFrameUs: { p50: number; p95: number } | undefined;
  workerHitUs: { p50: number; p95: number };
  batch16PerFrameUs: { p50: number; p95: number };
  hotHitUs: { p50: number; p95: number; batch: number };
}

const FRAME_BYTES = 64 * 1024;

function spread(samples: number[]): { p50: number; p95: number } {
  return { p50: percentile(samples, 50) * 1000, p95: percentile(samples, 95) * 1000 };
}

function clockStepUs(): number {
  let smallest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 200; i++) {
    const a = now();
    let b = now();
    while (b === a) b = now();
    smallest = Math.min(smallest, b - a);
  }
  return smallest * 1000;
}

interface Echo {
  /** One round trip of the 64 KiB buffer; ms. */
  once(): Promise<number>;
  /** One round trip answered with a fresh copy; ms. */
  copy(): Promise<number>;
  /** One round trip of a 16-frame (1 MiB) buffer; ms. */
  batch(): Promise<number>;
  /** A small request answered with a 1 MiB copy into memory made ready ahead; ms. */
  batchCopy(): Promise<number>;
  end(): void;
}

/** A worker (or SharedWorker port) that sends every buffer straight back, transferred. */
function openEcho(shared: boolean): Echo {
  let port: Worker | MessagePort;
  let end: () => void;
  if (shared) {
    const worker = new SharedWorker(new URL('./echo.shared-worker.ts', import.meta.url), { type: 'module' });
    worker.port.start();
    port = worker.port;
    end = () => worker.port.close();
  } else {
    const worker = new Worker(new URL('./echo.worker.ts', import.meta.url), { type: 'module' });
    port = worker;
    end = () => worker.terminate();
  }
  const buffers = { frame: new ArrayBuffer(FRAME_BYTES), batch: new ArrayBuffer(16 * FRAME_BYTES) };
  const roundTrip = (kind: 'frame' | 'batch' | 'copy' | 'batchCopy'): Promise<number> =>
    new Promise((resolve, reject) => {
      const start = now();
      const expected = kind === 'batch' || kind === 'batchCopy' ? 16 * FRAME_BYTES : FRAME_BYTES;
      const onMessage = (event: Event): void => {
        const answer = (event as MessageEvent<ArrayBuffer>).data;
        if (kind === 'frame' || kind === 'batch') buffers[kind] = answer;
        if (answer.byteLength !== expected) reject(new Error(`echo returned ${answer.byteLength} bytes`));
        resolve(now() - start);
      };
      port.addEventListener('message', onMessage, { once: true });
      if (kind === 'copy') port.postMessage(expected);
      else if (kind === 'batchCopy') port.postMessage({ ahead: expected });
      else port.postMessage(buffers[kind], [buffers[kind]]);
    });
  return {
    once: () => roundTrip('frame'),
    copy: () => roundTrip('copy'),
    batch: () => roundTrip('batch'),
    batchCopy: () => roundTrip('batchCopy'),
    end,
  };
}

export async function measureHits(
  series: SeriesTarget,
  instance: InstanceTarget,
  iterations: number,
  options: FrameCacheFacadeOptions = {},
): Promise<HitsResult> {
  const warmup = Math.max(50, Math.floor(iterations / 5));
  const ref = { url: instanceUrl(series, instance.sopInstanceUid), frameCount: instance.frameCount };
  const all = Array.from({ length: instance.frameCount }, (_, i) => i + 1);
  // The floors and the worker hit are sampled in turn, so they see the same machine state.
  const echo = openEcho(false);
  const sharedEcho = typeof SharedWorker === 'undefined' ? undefined : openEcho(true);
  const raw: number[] = [];
  const sharedRaw: number[] = [];
  const copied: number[] = [];
  const sharedCopied: number[] = [];
  const batchEcho: number[] = [];
  const sharedBatchEcho: number[] = [];
  const batchCopy: number[] = [];
  const sharedBatchCopy: number[] = [];
  // Hot tier off: every hit is a worker round trip.
  const cold = new FrameCache({ ...options, hotBytes: 0, wholeInstanceMaxFrames: 0 });
  const worker: number[] = [];
  const batch: number[] = [];
  let frameBytes = 0;
  try {
    await loadAll(cold, ref, all);
    for (let i = 0; i < warmup + iterations; i++) {
      const echoMs = await echo.once();
      const sharedMs = sharedEcho === undefined ? Number.NaN : await sharedEcho.once();
      const copyMs = await echo.copy();
      const sharedCopyMs = sharedEcho === undefined ? Number.NaN : await sharedEcho.copy();
      const n = (i % instance.frameCount) + 1;
      const start = now();
      const bytes = await cold.getFrame(ref, n);
      const hitMs = now() - start;
      if (bytes === undefined) throw new Error(`frame ${n} was not cached`);
      frameBytes = bytes.byteLength;
      if (i < warmup) continue;
      raw.push(echoMs);
      copied.push(copyMs);
      if (sharedEcho !== undefined) {
        sharedRaw.push(sharedMs);
        sharedCopied.push(sharedCopyMs);
      }
      worker.push(hitMs);
    }
    const batches = Math.max(20, Math.floor(iterations / 4));
    for (let i = 0; i < warmup + batches; i++) {
      const echoMs = await echo.batch();
      const sharedMs = sharedEcho === undefined ? Number.NaN : await sharedEcho.batch();
      const copyMs = await echo.batchCopy();
      const sharedCopyMs = sharedEcho === undefined ? Number.NaN : await sharedEcho.batchCopy();
      if (i >= warmup) {
        batchEcho.push(echoMs / 16);
        batchCopy.push(copyMs / 16);
        if (sharedEcho !== undefined) {
          sharedBatchEcho.push(sharedMs / 16);
          sharedBatchCopy.push(sharedCopyMs / 16);
        }
      }
      const first = ((i * 16) % instance.frameCount) + 1;
      const frames = Array.from({ length: 16 }, (_, k) => ((first - 1 + k) % instance.frameCount) + 1);
      const start = now();
      const got = await cold.getFrames(ref, frames);
      if (i >= warmup) batch.push((now() - start) / 16);
      if (got.some((bytes) => bytes === undefined)) throw new Error('getFrames missed a cached frame');
    }
  } finally {
    echo.end();
    sharedEcho?.end();
    await cold.close();
  }

  // Hot tier on (default 8 MiB holds the 64 frames of 64 KiB).
  const hot = new FrameCache({ ...options, wholeInstanceMaxFrames: 0 });
  const hotSamples: number[] = [];
  const perBatch = 200;
  try {
    await loadAll(hot, ref, all);
    for (const n of all) await hot.getFrame(ref, n); // fills the hot tier
    const batches = Math.max(50, Math.floor(iterations / 10));
    for (let i = 0; i < 10 + batches; i++) {
      const start = now();
      for (let k = 0; k < perBatch; k++) await hot.getFrame(ref, (k % instance.frameCount) + 1);
      if (i >= 10) hotSamples.push((now() - start) / perBatch);
    }
    const stats = await hot.stats();
    if (stats.misses > instance.frameCount) throw new Error(`hot-tier run missed ${stats.misses} times`);
  } finally {
    await hot.close();
  }

  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    clockStepUs: clockStepUs(),
    iterations,
    frameBytes,
    rawEchoUs: spread(raw),
    sharedEchoUs: sharedRaw.length === 0 ? undefined : spread(sharedRaw),
    copyEchoUs: spread(copied),
    sharedCopyEchoUs: sharedCopied.length === 0 ? undefined : spread(sharedCopied),
    batchEchoPerFrameUs: spread(batchEcho),
    sharedBatchEchoPerFrameUs: sharedBatchEcho.length === 0 ? undefined : spread(sharedBatchEcho),
    batchCopyPerFrameUs: spread(batchCopy),
    sharedBatchCopyPerFrameUs: sharedBatchCopy.length === 0 ? undefined : spread(sharedBatchCopy),
    workerHitUs: spread(worker),
    batch16PerFrameUs: spread(batch),
    hotHitUs: { ...spread(hotSamples), batch: perBatch },
  };
}

/** Loads every frame of the instance into the cache (one block). */
async function loadAll(cache: FrameCache, ref: { url: string; frameCount: number }, all: number[]): Promise<void> {
  await cache.preload({ [ref.url]: all });
  const got = await cache.getFrames(ref, all);
  if (got.some((bytes) => bytes === undefined)) throw new Error('preload left frames out');
}

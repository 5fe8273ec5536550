/**
 * Shared bits of the fault tests against Orthanc: the proxy's control endpoints, reference frames
 * read straight from Orthanc (never through the proxy) and split independently of src/, byte comparison in native code, timers
 * that record the delays the engine asks for, and an unhandled-rejection recorder.
 */
import { inject } from 'vitest';
import type { Fault, ProxyLogEntry } from '../../scripts/lib/proxy.mjs';
import type { Timers } from '../../src/core/ports.js';
import { referenceFrameList } from '../helpers/reference-frames.js';
import type { SampleSlideName } from '../../scripts/lib/sample-slides.mjs';

export const orthanc = inject('orthanc');

export interface TestInstance {
  sopInstanceUid: string;
  frameCount: number;
  /** Through the fault proxy. */
  url: string;
  /** Straight to Orthanc. */
  directUrl: string;
}

/** Instance `index` of level `level` of a sample slide. */
export function sampleInstance(name: SampleSlideName, level: number, index = 0): TestInstance {
  const slide = orthanc.slides[name];
  const instance = slide.levels[level]!.instances[index]!;
  const directUrl = `${slide.seriesUrl}/instances/${instance.sopInstanceUid}`;
  return {
    sopInstanceUid: instance.sopInstanceUid,
    frameCount: instance.frameCount,
    directUrl,
    url: directUrl.replace(orthanc.url, orthanc.proxy.url),
  };
}

export function proxiedSeriesUrl(name: SampleSlideName): string {
  return orthanc.slides[name].seriesUrl.replace(orthanc.url, orthanc.proxy.url);
}

export async function setFault(fault: Fault | undefined): Promise<void> {
  const response = await fetch(`${orthanc.proxy.url}/__proxy/fault`, {
    method: 'POST',
    body: fault ? JSON.stringify(fault) : '',
  });
  if (response.status !== 204) throw new Error(`setFault: ${response.status} ${await response.text()}`);
}

export async function resetProxy(): Promise<void> {
  await fetch(`${orthanc.proxy.url}/__proxy/reset`, { method: 'POST' });
}

export async function proxyLog(): Promise<ProxyLogEntry[]> {
  return (await fetch(`${orthanc.proxy.url}/__proxy/log`)).json() as Promise<ProxyLogEntry[]>;
}

const references = new Map<string, Promise<Uint8Array[]>>();

/**
 * Every frame of an instance straight from Orthanc (never through the proxy), one single-frame
 * request each (`batch` per request for the load tests), split by the reference splitter that
 * shares no code with src/ (cached per instance).
 */
export function referenceFrames(instance: TestInstance, batch = 1): Promise<Uint8Array[]> {
  let frames = references.get(`${instance.directUrl}#${batch}`);
  if (frames === undefined) {
    frames = referenceFrameList(instance.directUrl, instance.frameCount, batch);
    references.set(`${instance.directUrl}#${batch}`, frames);
  }
  return frames;
}

/** Byte equality in native code (a deep toEqual of 100 KB arrays blocks the event loop for seconds). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Run-wide figures, printed by the suites for the README table. */
export interface FaultFigures {
  cases: number;
  framesVerified: number;
  wrongFrames: number;
  wrongCached: number;
}

export function newFigures(): FaultFigures {
  return { cases: 0, framesVerified: 0, wrongFrames: 0, wrongCached: 0 };
}

/**
 * Checks returned frames against the reference: each is undefined or exact. Counts into
 * `figures`; returns how many were defined.
 */
export function checkReturned(
  figures: FaultFigures,
  frames: readonly (Uint8Array | undefined)[],
  numbers: readonly number[],
  reference: readonly Uint8Array[],
): number {
  let defined = 0;
  frames.forEach((frame, i) => {
    if (frame === undefined) return;
    defined++;
    figures.framesVerified++;
    if (!sameBytes(frame, reference[numbers[i]! - 1]!)) figures.wrongFrames++;
  });
  return defined;
}

/** Checks every frame of an instance in memory: undefined or exact. Returns how many are cached. */
export async function checkCached(
  figures: FaultFigures,
  getCachedFrame: (url: string, n: number) => Promise<Uint8Array | undefined>,
  instance: TestInstance,
): Promise<number> {
  const reference = await referenceFrames(instance);
  let cached = 0;
  for (let n = 1; n <= instance.frameCount; n++) {
    const frame = await getCachedFrame(instance.url, n);
    if (frame === undefined) continue;
    cached++;
    figures.framesVerified++;
    if (!sameBytes(frame, reference[n - 1]!)) figures.wrongCached++;
  }
  return cached;
}

/**
 * Real timers that record every delay asked for, and shorten the retry waits (anything but
 * the idle timeout and long waitForLoads timeouts) to a few ms: the suite asserts the delays the
 * engine asked for (Retry-After honoured, backoff growing) without spending them.
 */
export function recordingTimers(requestTimeoutMs: number): Timers & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    setTimeout(callback, ms) {
      delays.push(ms);
      const real = ms === requestTimeoutMs || ms >= 60_000 ? ms : Math.min(ms, 5);
      return setTimeout(callback, real);
    },
    clearTimeout(handle) {
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
  };
}

/** Collects process-level unhandled rejections while installed. */
export function trackUnhandledRejections(): { readonly reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const onRejection = (reason: unknown): void => void reasons.push(reason);
  process.on('unhandledRejection', onRejection);
  return { reasons, stop: () => void process.off('unhandledRejection', onRejection) };
}

/** A logger that keeps every record, for "what was logged" checks. */
export function recordingLogger(): {
  records: { level: string; message: string; fields: unknown }[];
  debug: Log;
  info: Log;
  warn: Log;
  error: Log;
} {
  const records: { level: string; message: string; fields: unknown }[] = [];
  const at =
    (level: string): Log =>
    (message, fields) =>
      void records.push({ level, message, fields });
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

type Log = (message: string, fields?: Record<string, unknown>) => void;

/**
 * Shared bits of the Chromium fault and IndexedDB tests: the fault proxy's controls, reference
 * frames read from Orthanc through the proxy's never-faulted `/__proxy/direct/` route (Orthanc
 * itself sends no CORS headers), a fast byte comparison, and an unhandled-rejection recorder.
 */
import { inject } from 'vitest';
import type { Fault, ProxyLogEntry } from '../../scripts/lib/proxy.mjs';
import { referenceFrameList } from '../helpers/reference-frames.js';

export const orthanc = inject('orthanc');

export interface BrowserInstance {
  url: string;
  frameCount: number;
  sopInstanceUid: string;
}

export function instanceOf(name: keyof typeof orthanc.slides, level: number, index = 0): BrowserInstance {
  const slide = orthanc.slides[name];
  const instance = slide.levels[level]!.instances[index]!;
  return {
    url: `${slide.seriesUrl.replace(orthanc.url, orthanc.proxy.url)}/instances/${instance.sopInstanceUid}`,
    frameCount: instance.frameCount,
    sopInstanceUid: instance.sopInstanceUid,
  };
}

export function proxiedSeriesUrl(name: keyof typeof orthanc.slides): string {
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
 * Every frame of an instance from Orthanc's single-frame answers, split by the reference splitter
 * that shares no code with src/. The page cannot reach Orthanc itself (no CORS there): the
 * proxy's /__proxy/direct/ route passes Orthanc's answer through byte for byte, never faulted nor
 * logged (test/integration/reference-route.test.ts checks it against Orthanc straight).
 * `count`: only frames 1..count; `batch`: frames per request (load tests over 1000-frame levels).
 */
export function referenceFrames(
  instance: BrowserInstance,
  count = instance.frameCount,
  batch = 1,
): Promise<Uint8Array[]> {
  const key = `${instance.url}#${count}#${batch}`;
  let frames = references.get(key);
  if (frames === undefined) {
    const path = new URL(instance.url).pathname;
    frames = referenceFrameList(`${orthanc.proxy.url}/__proxy/direct${path}`, count, batch);
    references.set(key, frames);
  }
  return frames;
}

/** Byte equality with a plain loop (a deep toEqual of 100 KB arrays is far slower). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Counts frames checked and wrong ones (returned or found in memory). */
export class FrameChecker {
  verified = 0;
  wrong = 0;

  /** Each frame undefined or exact; returns how many were defined. */
  returned(
    frames: readonly (Uint8Array | undefined)[],
    numbers: readonly number[],
    reference: readonly Uint8Array[],
  ): number {
    let defined = 0;
    frames.forEach((frame, i) => {
      if (frame === undefined) return;
      defined++;
      this.verified++;
      if (!sameBytes(frame, reference[numbers[i]! - 1]!)) this.wrong++;
    });
    return defined;
  }

  /** Every frame of the instance in memory: undefined or exact; returns how many are cached. */
  async cached(
    cache: { getCachedFrame(url: string, n: number): Promise<Uint8Array | undefined> },
    instance: BrowserInstance,
  ): Promise<number> {
    const reference = await referenceFrames(instance);
    let cached = 0;
    for (let n = 1; n <= instance.frameCount; n++) {
      const frame = await cache.getCachedFrame(instance.url, n);
      if (frame === undefined) continue;
      cached++;
      this.verified++;
      if (!sameBytes(frame, reference[n - 1]!)) this.wrong++;
    }
    return cached;
  }
}

/** Collects the page's unhandled rejections while installed. */
export function trackUnhandledRejections(): { readonly reasons: unknown[]; stop(): void } {
  const reasons: unknown[] = [];
  const onRejection = (event: PromiseRejectionEvent): void => void reasons.push(event.reason);
  window.addEventListener('unhandledrejection', onRejection);
  return { reasons, stop: () => window.removeEventListener('unhandledrejection', onRejection) };
}

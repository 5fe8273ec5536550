/**
 * An in-memory FrameSource that records every request it receives. Frames are deterministic
 * bytes per (instance, frame) delivered as views into one larger buffer, like a parser's.
 * With `gated`, each request waits until the test releases it, so tests control overlap.
 */
import { FrameCacheError } from '../../src/shared/errors.js';
import type { FrameCallback, FrameSource, SourceRequestOptions } from '../../src/core/ports.js';
import type { FakeClock } from './fake-platform.js';

export interface RecordedRequest {
  kind: 'frames' | 'instance';
  url: string;
  frameNumbers?: number[];
}

export interface FakeSourceOptions {
  /** Frame count per instance URL (for whole-instance answers). */
  frameCounts?: Record<string, number>;
  /** Byte size of a frame. @default 100 + frameNumber % 7 */
  frameSize?: (url: string, frameNumber: number) => number;
  clock?: FakeClock;
  /** Fake milliseconds each request takes (the clock moves before frames are delivered). */
  msPerRequest?: number;
  gated?: boolean;
  /** Return an error to fail a request (after `deliverBeforeFailure` frames). */
  fail?: (request: RecordedRequest) => FrameCacheError | undefined;
  deliverBeforeFailure?: number;
}

export function frameContent(url: string, frameNumber: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let h = frameNumber * 2654435761;
  for (let i = 0; i < url.length; i++) h = (h ^ url.charCodeAt(i)) * 16777619;
  for (let i = 0; i < size; i++) {
    h = (h ^ (h >>> 13)) * 1274126177;
    bytes[i] = h & 0xff;
  }
  return bytes;
}

export class FakeSource implements FrameSource {
  readonly requests: RecordedRequest[] = [];
  readonly #options: FakeSourceOptions;
  readonly #gates: (() => void)[] = [];
  #running = 0;
  maxRunning = 0;

  constructor(options: FakeSourceOptions = {}) {
    this.#options = options;
  }

  frameBytes(url: string, frameNumber: number): Uint8Array {
    const size = this.#options.frameSize?.(url, frameNumber) ?? 100 + (frameNumber % 7);
    return frameContent(url, frameNumber, size);
  }

  /** Requested frame numbers of every recorded request, flattened. */
  get requestedFrames(): number[] {
    return this.requests.flatMap((r) => r.frameNumbers ?? []);
  }

  get pending(): number {
    return this.#gates.length;
  }

  /** Lets the oldest gated request (or all of them) proceed. */
  release(all = false): void {
    const gates = all ? this.#gates.splice(0) : this.#gates.splice(0, 1);
    for (const gate of gates) gate();
  }

  async fetchFrames(
    url: string,
    frameNumbers: number[],
    onFrame: FrameCallback,
    opts: SourceRequestOptions,
  ): Promise<void> {
    const request: RecordedRequest = { kind: 'frames', url, frameNumbers: [...frameNumbers] };
    await this.#serve(request, frameNumbers, onFrame, opts);
  }

  async fetchInstance(
    url: string,
    onFrame: FrameCallback,
    opts: SourceRequestOptions,
  ): Promise<{ frameCount: number }> {
    const request: RecordedRequest = { kind: 'instance', url };
    const frameCount = this.#options.frameCounts?.[url];
    if (frameCount === undefined) throw new Error(`FakeSource: no frame count for ${url}`);
    const all = Array.from({ length: frameCount }, (_, i) => i + 1);
    await this.#serve(request, all, onFrame, opts);
    return { frameCount };
  }

  async #serve(
    request: RecordedRequest,
    frameNumbers: number[],
    onFrame: FrameCallback,
    opts: SourceRequestOptions,
  ): Promise<void> {
    this.requests.push(request);
    this.#running++;
    this.maxRunning = Math.max(this.maxRunning, this.#running);
    try {
      if (this.#options.gated) {
        await new Promise<void>((resolve, reject) => {
          this.#gates.push(resolve);
          opts.signal.addEventListener('abort', () => reject(opts.signal.reason), { once: true });
        });
      } else {
        await Promise.resolve();
      }
      opts.signal.throwIfAborted();
      if (this.#options.msPerRequest) this.#options.clock?.advance(this.#options.msPerRequest);
      const failure = this.#options.fail?.(request);
      const limit = failure ? (this.#options.deliverBeforeFailure ?? 0) : frameNumbers.length;
      // One response buffer, frames as views into it (as the multipart parser hands them out).
      const parts = frameNumbers.slice(0, limit).map((n) => this.frameBytes(request.url, n));
      const total = parts.reduce((sum, p) => sum + p.byteLength + 16, 0);
      const body = new Uint8Array(total);
      let offset = 0;
      for (let i = 0; i < parts.length; i++) {
        offset += 16;
        body.set(parts[i]!, offset);
        opts.onBytes?.(parts[i]!.byteLength + 16);
        onFrame(frameNumbers[i]!, body.subarray(offset, offset + parts[i]!.byteLength));
        offset += parts[i]!.byteLength;
      }
      if (failure) throw failure;
    } finally {
      this.#running--;
    }
  }
}

/**
 * Worker side: hands a tab the frames of the instances it is reading as they are admitted,
 * packed in one transferred buffer every few milliseconds, so the tab's next reads are
 * hot-tier hits instead of one worker round trip each (a SharedWorker round trip is
 * ~300-450 us; the bench saw a level in the engine after 39 ms but on the page after 152 ms).
 */
import { transfer, type Remote } from 'comlink';
import { frameKey } from '../core/frame-key.js';
import type { FrameCacheEngine } from '../platform/frame-cache-engine.js';
import type { EngineCallbacks, FramePacket, PushMessage } from '../shared/protocol.js';

/** Sends a packet to the tab, its buffer transferred (pushSender). */
export type PushSend = (packet: FramePacket) => void;

/**
 * How engine `engineId`'s pushes reach its tab: on the frame channel's `port`, one message each
 * way less than a Comlink call (which the tab answers) and in order with the call answers;
 * through the tab's callbacks where the page opened no channel; undefined with neither.
 */
export function pushSender(
  engineId: number,
  port: MessagePort | undefined,
  callbacks: Remote<EngineCallbacks> | undefined,
): PushSend | undefined {
  if (port !== undefined)
    return (packet) => {
      const message: PushMessage = { push: engineId, packet };
      try {
        port.postMessage(message, [packet.buffer]);
      } catch {
        // A push is an optimisation: the tab's calls still get the frames.
      }
    };
  if (callbacks === undefined) return undefined;
  return (packet) => {
    Promise.resolve(callbacks.pushFrames(transfer(packet, [packet.buffer]))).catch(() => undefined);
  };
}

/** An instance read in this long keeps having its new frames pushed. */
export const WATCH_MS = 2000;
/** A batch leaves after this long, or as soon as it holds PUSH_MAX_BYTES. */
export const PUSH_DELAY_MS = 4;
export const PUSH_MAX_BYTES = 1024 * 1024;

export class FramePusher {
  readonly #send: PushSend;
  readonly #watched = new Map<string, number>();
  /** Frames the tab has calls for right now ("url#n" → calls): their answers bring them. */
  readonly #answering = new Map<string, number>();
  readonly #unsubscribe: () => void;
  #queue: [string, number, Uint8Array][] = [];
  #queuedBytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #epoch = 0;

  constructor(engine: FrameCacheEngine, send: PushSend) {
    this.#send = send;
    this.#unsubscribe = engine.onAdmission((url, frameNumber, bytes) => this.#admitted(url, frameNumber, bytes));
  }

  /** The tab asked for a frame of this instance: push its next frames for a while. */
  watch(instanceUrl: string, epoch = this.#epoch): void {
    if (epoch > this.#epoch) this.#epoch = epoch;
    this.#watched.set(instanceUrl, performance.now() + WATCH_MS);
  }

  /**
   * The tab has a call for these frames: while it runs, their admission is not pushed (the
   * answer carries them, and the tab keeps answers in its hot tier). Pushing them too cost the
   * first view a second copy and transfer of every visible frame (docs/worker-cost.md, "The
   * first view's frames crossed twice"). Returns the release, to call once the call settles.
   */
  answering(instanceUrl: string, frameNumbers: readonly number[]): () => void {
    const keys = frameNumbers.map((n) => frameKey(instanceUrl, n));
    for (const key of keys) this.#answering.set(key, (this.#answering.get(key) ?? 0) + 1);
    return () => {
      for (const key of keys) {
        const count = this.#answering.get(key) ?? 0;
        if (count <= 1) this.#answering.delete(key);
        else this.#answering.set(key, count - 1);
      }
    };
  }

  /** The tab cleared its cache: frames queued before are not sent. */
  cleared(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#watched.clear();
  }

  close(): void {
    this.#unsubscribe();
    clearTimeout(this.#timer);
    this.#queue = [];
    this.#watched.clear();
  }

  #admitted(instanceUrl: string, frameNumber: number, bytes: Uint8Array): void {
    const until = this.#watched.get(instanceUrl);
    if (until === undefined) return;
    if (until < performance.now()) {
      this.#watched.delete(instanceUrl);
      return;
    }
    if (this.#answering.size > 0 && this.#answering.has(frameKey(instanceUrl, frameNumber))) return;
    this.#queue.push([instanceUrl, frameNumber, bytes]);
    this.#queuedBytes += bytes.byteLength;
    if (this.#queuedBytes >= PUSH_MAX_BYTES) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), PUSH_DELAY_MS);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const queue = this.#queue;
    if (queue.length === 0) return;
    this.#queue = [];
    const buffer = new ArrayBuffer(this.#queuedBytes);
    this.#queuedBytes = 0;
    const target = new Uint8Array(buffer);
    const frames: FramePacket['frames'] = [];
    let offset = 0;
    for (const [url, frameNumber, bytes] of queue) {
      target.set(bytes, offset);
      frames.push([url, frameNumber, offset, bytes.byteLength]);
      offset += bytes.byteLength;
    }
    const packet: FramePacket = { epoch: this.#epoch, buffer, frames };
    this.#send(packet);
  }
}

/**
 * Packs frames (some undefined) into one buffer for a single transfer. `allocate` may return a
 * longer buffer (spare-buffer.ts): the frames fill its start, `lengths` says where.
 */
export function packFrames(
  frames: readonly (Uint8Array | undefined)[],
  allocate: (bytes: number) => ArrayBuffer = (bytes) => new ArrayBuffer(bytes),
): { buffer: ArrayBuffer; lengths: number[] } {
  let total = 0;
  for (const f of frames) if (f !== undefined) total += f.byteLength;
  const buffer = allocate(total);
  const target = new Uint8Array(buffer);
  const lengths: number[] = [];
  let offset = 0;
  for (const f of frames) {
    if (f === undefined) {
      lengths.push(-1);
      continue;
    }
    target.set(f, offset);
    offset += f.byteLength;
    lengths.push(f.byteLength);
  }
  return { buffer, lengths };
}

/**
 * The frames of a packed answer as views of its one buffer: the answer is the caller's own copy
 * already (made once, by packFrames), so no second copy. A cache that keeps one of them must
 * copy it (a hot-tier entry never pins the whole batch).
 */
export function viewFrames(packed: { buffer: ArrayBuffer; lengths: number[] }): (Uint8Array | undefined)[] {
  const out: (Uint8Array | undefined)[] = [];
  let offset = 0;
  for (const length of packed.lengths) {
    if (length < 0) {
      out.push(undefined);
      continue;
    }
    out.push(new Uint8Array(packed.buffer, offset, length));
    offset += length;
  }
  return out;
}

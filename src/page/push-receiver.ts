/**
 * Page side of the frame push: frames the worker pushed go into the hot tier, and resolve any
 * getFrame still waiting on them (the push may arrive before the call's own answer). Also
 * fills the hot tier with the frames getFrames answered, a task later.
 */
import type { ByteLru } from '../core/byte-lru.js';
import type { FramePacket } from '../shared/protocol.js';

export class PushReceiver {
  readonly #hot: ByteLru<string>;
  readonly #keyOf: (instanceUrl: string, frameNumber: number) => string;
  readonly #waiters = new Map<string, Set<(bytes: Uint8Array) => void>>();
  /** Bumped by the tab's clear(): packets stamped with an older epoch were queued before it. */
  epoch = 0;

  constructor(hot: ByteLru<string>, keyOf: (instanceUrl: string, frameNumber: number) => string) {
    this.#hot = hot;
    this.#keyOf = keyOf;
  }

  receive(packet: FramePacket): void {
    if (packet.epoch < this.epoch) return;
    for (const [url, frameNumber, offset, length] of packet.frames) {
      const key = this.#keyOf(url, frameNumber);
      // Its own buffer: a hot entry never pins the whole packet.
      const bytes = new Uint8Array(packet.buffer.slice(offset, offset + length));
      this.#hot.set(key, bytes);
      const waiters = this.#waiters.get(key);
      if (waiters === undefined) continue;
      this.#waiters.delete(key);
      for (const resolve of waiters) resolve(bytes);
    }
  }

  /**
   * Frames of a getFrames answer (views of one buffer the caller now holds): each is copied into
   * the hot tier in a later task, off the caller's path, unless the tab cleared in between.
   */
  keepLater(entries: [key: string, bytes: Uint8Array][]): void {
    if (entries.length === 0) return;
    const epoch = this.epoch;
    setTimeout(() => {
      if (epoch !== this.epoch) return;
      for (const [key, bytes] of entries) {
        // A caller that transferred the answer's buffer away (the contract says not to) left a
        // detached view, of length 0: slice() would throw and lose the frames after it.
        if (bytes.byteLength === 0 || this.#hot.has(key)) continue;
        this.#hot.set(key, bytes.slice());
      }
    }, 0);
  }

  /** Resolves when the frame is pushed; `cancel` when the caller got it another way. */
  whenPushed(key: string): { promise: Promise<Uint8Array>; cancel(): void } {
    let resolve!: (bytes: Uint8Array) => void;
    const promise = new Promise<Uint8Array>((r) => (resolve = r));
    let waiters = this.#waiters.get(key);
    if (waiters === undefined) this.#waiters.set(key, (waiters = new Set()));
    waiters.add(resolve);
    return {
      promise,
      cancel: () => {
        const set = this.#waiters.get(key);
        set?.delete(resolve);
        if (set?.size === 0) this.#waiters.delete(key);
      },
    };
  }
}

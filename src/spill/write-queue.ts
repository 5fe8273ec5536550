/**
 * The write-behind queue of the IndexedDB tier: frames wait here (and are still served from
 * here) until a batch is due — `batchDelayMs` after the first queued frame, or at once when
 * `batchMaxBytes` are queued — and while their batch is being written.
 */
import type { Timers } from '../core/ports.js';

export type Entry = [key: string, bytes: Uint8Array];

export interface WriteQueueOptions {
  batchDelayMs: number;
  /** A batch is due when this many bytes are queued; no batch is larger (unless one frame is). */
  batchMaxBytes: number;
  /** Bytes queued and being written together; frames beyond are refused. */
  limitBytes: number;
  timers: Timers;
  /** Called when a batch is due: the owner takes the batches with `take()`. */
  onDue: () => void;
}

export class WriteQueue {
  readonly #options: WriteQueueOptions;
  readonly #pending = new Map<string, Uint8Array>();
  #pendingBytes = 0;
  readonly #writing = new Map<string, Uint8Array>();
  #writingBytes = 0;
  #timer: unknown;
  #timerSet = false;

  constructor(options: WriteQueueOptions) {
    this.#options = options;
  }

  /** Queued or being written. */
  get(key: string): Uint8Array | undefined {
    return this.#pending.get(key) ?? this.#writing.get(key);
  }

  has(key: string): boolean {
    return this.#pending.has(key) || this.#writing.has(key);
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Queues one frame (keeping only its bytes); false when the queue is full. */
  add(key: string, bytes: Uint8Array): boolean {
    if (this.#pendingBytes + this.#writingBytes + bytes.byteLength > this.#options.limitBytes) return false;
    // Structured clone stores a view's whole buffer (and refuses a shared one): keep only the frame.
    const whole =
      bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
    const own = whole ? bytes : bytes.slice();
    this.#pending.set(key, own);
    this.#pendingBytes += own.byteLength;
    return true;
  }

  /** After adds: a full batch is due now, otherwise start the delay if it is not running. */
  schedule(): void {
    if (this.#pendingBytes >= this.#options.batchMaxBytes) {
      this.#cancelTimer();
      this.#options.onDue();
    } else if (this.#pending.size > 0 && !this.#timerSet) {
      this.#timerSet = true;
      this.#timer = this.#options.timers.setTimeout(() => {
        this.#timerSet = false;
        this.#options.onDue();
      }, this.#options.batchDelayMs);
    }
  }

  /** Moves everything queued into batches of at most `maxBatchBytes`, marked as being written. */
  take(maxBatchBytes: number): Entry[][] {
    this.#cancelTimer();
    const batches: Entry[][] = [];
    let batch: Entry[] = [];
    let bytes = 0;
    for (const [key, value] of this.#pending) {
      if (batch.length > 0 && bytes + value.byteLength > maxBatchBytes) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push([key, value]);
      bytes += value.byteLength;
      this.#writing.set(key, value);
      this.#writingBytes += value.byteLength;
    }
    if (batch.length > 0) batches.push(batch);
    this.#pending.clear();
    this.#pendingBytes = 0;
    return batches;
  }

  /** A batch was written or failed: its frames are no longer served from here. */
  settle(entries: Entry[]): void {
    for (const [key, value] of entries) {
      if (this.#writing.get(key) !== value) continue;
      this.#writing.delete(key);
      this.#writingBytes -= value.byteLength;
    }
  }

  get idle(): boolean {
    return this.#pending.size === 0 && this.#writing.size === 0;
  }

  /** Forgets everything queued and being written (clear, memory only). */
  dropAll(): void {
    this.#cancelTimer();
    this.#pending.clear();
    this.#writing.clear();
    this.#pendingBytes = 0;
    this.#writingBytes = 0;
  }

  #cancelTimer(): void {
    if (!this.#timerSet) return;
    this.#timerSet = false;
    this.#options.timers.clearTimeout(this.#timer);
  }
}

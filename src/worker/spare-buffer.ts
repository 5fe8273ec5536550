/**
 * The buffer a getFrames answer is packed into, made ready off the answer's path. Copying into a
 * fresh ArrayBuffer costs the kernel's page faults (~500 µs a MiB in a worker against ~30 µs into
 * memory already touched, docs/worker-cost.md "Fresh memory, not copying, is what a copy costs"),
 * and a transferred buffer never comes back to the worker to be reused. So after each answer a
 * buffer of about its size is allocated and its pages touched in a task of its own; the next
 * answer of a size it fits takes it and pays only the copy.
 *
 * The buffer may be a little longer than the frames (by at most a quarter and a page): the caller gets views
 * of it (viewFrames), never the buffer as a frame, and the tail is zeros, never another answer's
 * bytes (a spare is used once).
 */

/** A spare is taken for an answer of at least 1/SLACK of its length (less one page). */
export const SLACK = 1.25;
/** Larger answers allocate as before (so no spare exceeds ~1.125x this): it sits in memory between answers. */
export const SPARE_MAX_BYTES = 8 * 1024 * 1024;
const PAGE = 4096;

/** A new buffer whose pages are already faulted in: one byte written per page. */
export function touchedBuffer(bytes: number): ArrayBuffer {
  const buffer = new ArrayBuffer(bytes);
  const pages = new Uint8Array(buffer);
  for (let at = 0; at < bytes; at += PAGE) pages[at] = 0;
  return buffer;
}

export interface SpareTimers {
  setTimeout(fn: () => void, ms: number): unknown;
}

export class SpareBuffer {
  readonly #timers: SpareTimers;
  #spare: ArrayBuffer | undefined;
  #wanted = 0;
  #scheduled = false;

  constructor(timers: SpareTimers = globalThis) {
    this.#timers = timers;
  }

  /** A buffer of at least `bytes`: the spare where it fits, else a new one. */
  take(bytes: number): ArrayBuffer {
    const spare = this.#spare;
    if (bytes > SPARE_MAX_BYTES || bytes === 0) return new ArrayBuffer(bytes);
    this.#ready(bytes);
    // Page rounding may add up to a page beyond SLACK (small answers).
    if (spare !== undefined && spare.byteLength >= bytes && spare.byteLength <= bytes * SLACK + PAGE) {
      this.#spare = undefined;
      return spare;
    }
    return new ArrayBuffer(bytes);
  }

  /** Drops the spare (the worker closes, or memory is wanted back). */
  release(): void {
    this.#spare = undefined;
    this.#wanted = 0;
  }

  /** Holds a spare for the next answer of about `bytes`, made in a task after this one. */
  #ready(bytes: number): void {
    // Room for answers a little larger than this one: a view's calls differ by a few frames.
    this.#wanted = Math.ceil((bytes * (1 + SLACK)) / 2 / PAGE) * PAGE;
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#timers.setTimeout(() => {
      this.#scheduled = false;
      const wanted = this.#wanted;
      if (wanted === 0) return;
      if (this.#spare !== undefined && this.#spare.byteLength === wanted) return;
      this.#spare = touchedBuffer(wanted);
    }, 0);
  }
}

/**
 * getFrame's copy, made into memory touched ahead where it can be. Its answer must be a buffer
 * holding the frame only, so only a spare of exactly the frame's length serves; `refill()`,
 * called once the answer has left, makes one of the last copy's length. Frames of one length
 * follow one another where a level is stored uncompressed (and in the bench's hit path);
 * compressed tiles of varied lengths mostly miss it and pay the fresh allocation as before.
 * A 64 KiB copy into fresh memory and its transfer cost ~70 µs more per round trip than into a
 * spare; at 16 KiB, nothing measurable, hence SPARE_EXACT_MIN_BYTES (docs/worker-cost.md, "The
 * hit path without promises").
 */
export const SPARE_EXACT_MIN_BYTES = 32 * 1024;

export class ExactSpare {
  readonly #timers: SpareTimers;
  #spare: ArrayBuffer | undefined;
  #wanted = 0;
  #scheduled = false;

  constructor(timers: SpareTimers = globalThis) {
    this.#timers = timers;
  }

  /** A copy of `bytes` in a buffer of its own, exactly its length. */
  copy(bytes: Uint8Array): Uint8Array {
    const length = bytes.byteLength;
    if (length < SPARE_EXACT_MIN_BYTES || length > SPARE_MAX_BYTES) return bytes.slice();
    this.#wanted = length;
    const spare = this.#spare;
    if (spare === undefined || spare.byteLength !== length) return bytes.slice();
    this.#spare = undefined;
    const copy = new Uint8Array(spare);
    copy.set(bytes);
    return copy;
  }

  /** Bytes held ready for the next copy (0: none). */
  get readyBytes(): number {
    return this.#spare?.byteLength ?? 0;
  }

  /** Makes the spare for the last copy's length now (call it once that answer has been posted). */
  refill(): void {
    const wanted = this.#wanted;
    if (wanted === 0 || this.#spare?.byteLength === wanted) return;
    try {
      this.#spare = touchedBuffer(wanted);
    } catch {
      // No memory for it now (a RangeError): the next copy allocates as it would without.
      this.#spare = undefined;
    }
  }

  /** refill() in a task of its own (where the answer leaves later, through awaits). */
  refillLater(): void {
    if (this.#scheduled || this.#wanted === 0) return;
    this.#scheduled = true;
    this.#timers.setTimeout(() => {
      this.#scheduled = false;
      this.refill();
    }, 0);
  }

  release(): void {
    this.#spare = undefined;
    this.#wanted = 0;
  }
}

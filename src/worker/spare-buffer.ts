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

/**
 * One buffer touched ahead for the next answer of a wanted length: what SpareBuffer and
 * ExactSpare each hold. A spare serves one answer.
 */
class SpareSlot {
  readonly #timers: SpareTimers;
  #spare: ArrayBuffer | undefined;
  #wanted = 0;
  #scheduled = false;

  constructor(timers: SpareTimers) {
    this.#timers = timers;
  }

  /** Bytes held ready (0: none). */
  get readyBytes(): number {
    return this.#spare?.byteLength ?? 0;
  }

  /** The length the next refill makes. */
  want(bytes: number): void {
    this.#wanted = bytes;
  }

  /** The spare, if its length is within [min, max]; it is then gone. */
  take(min: number, max: number): ArrayBuffer | undefined {
    const spare = this.#spare;
    if (spare === undefined || spare.byteLength < min || spare.byteLength > max) return undefined;
    this.#spare = undefined;
    return spare;
  }

  /** Makes the spare of the wanted length now, unless it is there. */
  refill(): void {
    const wanted = this.#wanted;
    if (wanted === 0 || this.#spare?.byteLength === wanted) return;
    try {
      this.#spare = touchedBuffer(wanted);
    } catch {
      // No memory for it now (a RangeError): the next answer allocates as it would without.
      this.#spare = undefined;
    }
  }

  /** refill() in a task of its own, scheduled once. */
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

export class SpareBuffer {
  readonly #slot: SpareSlot;

  constructor(timers: SpareTimers = globalThis) {
    this.#slot = new SpareSlot(timers);
  }

  /** A buffer of at least `bytes`: the spare where it fits, else a new one. */
  take(bytes: number): ArrayBuffer {
    if (bytes > SPARE_MAX_BYTES || bytes === 0) return new ArrayBuffer(bytes);
    // Room for answers a little larger than this one: a view's calls differ by a few frames.
    // The spare is made in a task after this one.
    this.#slot.want(Math.ceil((bytes * (1 + SLACK)) / 2 / PAGE) * PAGE);
    this.#slot.refillLater();
    // Page rounding may add up to a page beyond SLACK (small answers).
    return this.#slot.take(bytes, bytes * SLACK + PAGE) ?? new ArrayBuffer(bytes);
  }

  /** Drops the spare (the worker closes, or memory is wanted back). */
  release(): void {
    this.#slot.release();
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
  readonly #slot: SpareSlot;

  constructor(timers: SpareTimers = globalThis) {
    this.#slot = new SpareSlot(timers);
  }

  /** A copy of `bytes` in a buffer of its own, exactly its length. */
  copy(bytes: Uint8Array): Uint8Array {
    const length = bytes.byteLength;
    if (length < SPARE_EXACT_MIN_BYTES || length > SPARE_MAX_BYTES) return bytes.slice();
    this.#slot.want(length);
    const spare = this.#slot.take(length, length);
    if (spare === undefined) return bytes.slice();
    const copy = new Uint8Array(spare);
    copy.set(bytes);
    return copy;
  }

  /** Bytes held ready for the next copy (0: none). */
  get readyBytes(): number {
    return this.#slot.readyBytes;
  }

  /** Makes the spare for the last copy's length now (call it once that answer has been posted). */
  refill(): void {
    this.#slot.refill();
  }

  /** refill() in a task of its own (where the answer leaves later, through awaits). */
  refillLater(): void {
    this.#slot.refillLater();
  }

  release(): void {
    this.#slot.release();
  }
}

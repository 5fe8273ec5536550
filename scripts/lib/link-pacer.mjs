// One bandwidth limit shared by every answer of an emulated link (scripts/lib/link-proxy.mjs):
// a FIFO of pieces (answer heads, body chunks of at most `chunkBytes`, answer ends) leaving at
// `bitsPerSecond` in total, whatever stream they belong to, as on one access link. A virtual
// clock (`due`) keeps the average rate right even where timers fire late (setTimeout rounds
// sub-millisecond waits up to 1 ms or more). The clock and timer are injectable so a test can
// drive the pacer step by step without measuring time.

/**
 * @typedef {{ bytes: number, send: () => void, dropped?: () => boolean }} Piece
 *   send: hands the piece to its stream; dropped: true when its stream has gone (skipped, free)
 * @typedef {{ now: () => number, schedule: (ms: number, fn: () => void) => void }} Clock
 */

/** @type {Clock} */
export const REAL_CLOCK = { now: () => performance.now(), schedule: (ms, fn) => void setTimeout(fn, ms) };

/**
 * @param {{ bitsPerSecond: number, chunkBytes?: number, clock?: Clock }} options
 */
export function createPacer({ bitsPerSecond, chunkBytes = 16 * 1024, clock = REAL_CLOCK }) {
  if (!(bitsPerSecond > 0)) throw new Error('bitsPerSecond must be > 0');
  /** @type {Piece[]} */
  const queue = [];
  /** When each queued piece was pushed (same index as `queue`). */
  /** @type {number[]} */
  const queuedAt = [];
  let head = 0;
  let due = Number.NEGATIVE_INFINITY;
  /** @type {number | undefined} when the head piece is through the link */
  let readyAt;
  let waiting = false;
  const counters = { pieces: 0, bytes: 0, waits: 0, waitedMs: 0, dropped: 0 };

  let running = false;
  const pump = () => {
    waiting = false;
    running = true;
    try {
      drain();
    } finally {
      running = false;
    }
  };
  const drain = () => {
    while (head < queue.length) {
      const piece = /** @type {Piece} */ (queue[head]);
      if (piece.dropped?.() === true) {
        head++;
        counters.dropped++;
        continue;
      }
      const t = clock.now();
      // The piece's last bit leaves one serialisation time after the link frees up (computed
      // once per piece: the wait for it is not paid twice). It starts at the later of the
      // link's virtual free time and when it was queued, never at the moment a late timer fired:
      // starting busy pieces at `t` lost each timer's lateness, and at 200 Mbit/s (16 KiB in
      // 0.66 ms, timers ~1 ms late) one stream got 12.8 kB/ms instead of 25 (fixed 2026-12-04).
      readyAt ??= Math.max(due, queuedAt[head] ?? t) + (piece.bytes * 8 * 1000) / bitsPerSecond;
      const ready = readyAt;
      if (ready > t) {
        waiting = true;
        counters.waits++;
        counters.waitedMs += ready - t;
        clock.schedule(ready - t, pump);
        return;
      }
      readyAt = undefined;
      due = ready;
      head++;
      counters.pieces++;
      counters.bytes += piece.bytes;
      piece.send();
    }
    queue.length = 0;
    queuedAt.length = 0;
    head = 0;
  };

  return {
    chunkBytes,
    counters,
    /** Queued pieces not yet sent. */
    get pending() {
      return queue.length - head;
    },
    /** @param {Piece} piece */
    push(piece) {
      queue.push(piece);
      queuedAt.push(clock.now());
      if (!waiting && !running) pump();
    },
    /**
     * Queues a body buffer as pieces of at most chunkBytes.
     * @param {Buffer} buffer
     * @param {(chunk: Buffer) => void} write
     * @param {() => boolean} [dropped]
     */
    pushBody(buffer, write, dropped) {
      for (let offset = 0; offset < buffer.length; offset += chunkBytes) {
        const chunk = buffer.subarray(offset, offset + chunkBytes);
        this.push({ bytes: chunk.length, send: () => write(chunk), dropped });
      }
    },
  };
}

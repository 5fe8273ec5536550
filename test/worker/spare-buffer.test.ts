import { describe, expect, it } from 'vitest';
import {
  ExactSpare,
  SLACK,
  SPARE_EXACT_MIN_BYTES,
  SPARE_MAX_BYTES,
  SpareBuffer,
} from '../../src/worker/spare-buffer.js';

/** Timers run by hand: the spare is made only when the test says the task ran. */
function manualTimers() {
  const queue: (() => void)[] = [];
  return {
    setTimeout: (fn: () => void) => void queue.push(fn),
    run: () => queue.splice(0).forEach((fn) => fn()),
    get pending() {
      return queue.length;
    },
  };
}

/** A SpareBuffer whose spare, after one answer of `bytes`, has been made. */
function afterOneAnswer(bytes: number) {
  const timers = manualTimers();
  const spares = new SpareBuffer(timers);
  spares.take(bytes);
  timers.run();
  return { timers, spares };
}

describe('SpareBuffer', () => {
  it('hands out a new buffer first, then the spare made in a later task for an answer of about that size', () => {
    const timers = manualTimers();
    const spares = new SpareBuffer(timers);
    const first = spares.take(100_000);
    expect(first.byteLength).toBe(100_000);
    expect(timers.pending).toBe(1);
    // Not ready before its task ran.
    expect(spares.take(100_000).byteLength).toBe(100_000);
    timers.run();
    const second = spares.take(100_000);
    expect(second.byteLength).toBeGreaterThan(100_000);
    expect(second.byteLength).toBeLessThanOrEqual(100_000 * SLACK);
    expect(new Uint8Array(second).every((b) => b === 0)).toBe(true);
    // Used once: the next answer gets a new one until the next spare is made.
    const third = spares.take(100_000);
    expect(third).not.toBe(second);
    expect(third.byteLength).toBe(100_000);
  });

  it('a spare fits answers a little larger or smaller, not much smaller ones (their tail would be waste)', () => {
    const { timers, spares } = afterOneAnswer(160_000);
    const larger = spares.take(175_000);
    expect(larger.byteLength).toBeGreaterThanOrEqual(175_000);
    expect(larger.byteLength).toBeLessThanOrEqual(175_000 * SLACK);
    timers.run();
    const small = spares.take(20_000);
    expect(small.byteLength).toBe(20_000);
  });

  it('keeps no spare for answers over SPARE_MAX_BYTES, nor after release()', () => {
    const timers = manualTimers();
    const spares = new SpareBuffer(timers);
    expect(spares.take(SPARE_MAX_BYTES + 1).byteLength).toBe(SPARE_MAX_BYTES + 1);
    expect(timers.pending).toBe(0);
    spares.take(50_000);
    spares.release(); // before the spare's task ran: it makes none
    timers.run();
    expect(spares.take(50_000).byteLength).toBe(50_000);
    timers.run();
    spares.release(); // after: the spare is dropped
    expect(spares.take(50_000).byteLength).toBe(50_000);
  });

  it('a small answer fits its spare though the spare is rounded up to whole pages', () => {
    const { spares } = afterOneAnswer(10_000);
    const second = spares.take(10_000);
    expect(second.byteLength).toBe(12_288); // 11,250 rounded up to 3 pages
  });

  it('a take after release() asks for a spare again (the host only takes for engines still open)', () => {
    const timers = manualTimers();
    const spares = new SpareBuffer(timers);
    spares.release();
    spares.take(50_000);
    expect(timers.pending).toBe(1);
  });

  it('an empty answer allocates nothing ahead', () => {
    const timers = manualTimers();
    const spares = new SpareBuffer(timers);
    expect(spares.take(0).byteLength).toBe(0);
    expect(timers.pending).toBe(0);
  });
});

describe('ExactSpare', () => {
  const frame = (length: number, seed: number) => new Uint8Array(length).map((_, i) => (i * 31 + seed) & 0xff);

  it('copies into a buffer of exactly the frame, and uses the spare made after it for the next frame of that length', () => {
    const spares = new ExactSpare(manualTimers());
    const a = frame(64 * 1024, 1);
    const first = spares.copy(a);
    expect(first).toEqual(a);
    expect(first.buffer.byteLength).toBe(a.byteLength);
    expect(spares.readyBytes).toBe(0);
    spares.refill();
    expect(spares.readyBytes).toBe(64 * 1024);
    const b = frame(64 * 1024, 2);
    const second = spares.copy(b);
    expect(second).toEqual(b);
    expect(second.buffer.byteLength).toBe(b.byteLength);
    expect(spares.readyBytes).toBe(0); // taken: a spare serves one copy
    // The first answer was not written over (each copy owns its buffer).
    expect(first).toEqual(a);
    expect(second.buffer).not.toBe(first.buffer);
  });

  it('keeps its spare for a frame of another length, and refills for the last length copied', () => {
    const spares = new ExactSpare(manualTimers());
    spares.copy(frame(64 * 1024, 1));
    spares.refill();
    const other = frame(40 * 1024, 3);
    const copy = spares.copy(other);
    expect(copy).toEqual(other);
    expect(copy.buffer.byteLength).toBe(40 * 1024);
    expect(spares.readyBytes).toBe(64 * 1024);
    spares.refill();
    expect(spares.readyBytes).toBe(40 * 1024);
  });

  it('makes no spare for small frames (or beyond SPARE_MAX_BYTES), and none after release', () => {
    const spares = new ExactSpare(manualTimers());
    const small = frame(SPARE_EXACT_MIN_BYTES - 1, 4);
    expect(spares.copy(small)).toEqual(small);
    spares.refill();
    expect(spares.readyBytes).toBe(0);
    spares.copy(frame(SPARE_EXACT_MIN_BYTES, 5));
    spares.release();
    spares.refill();
    expect(spares.readyBytes).toBe(0);
  });

  it('refillLater makes the spare in a task of its own, scheduled once', () => {
    const timers = manualTimers();
    const spares = new ExactSpare(timers);
    spares.copy(frame(64 * 1024, 1));
    spares.refillLater();
    spares.refillLater();
    expect(timers.pending).toBe(1);
    expect(spares.readyBytes).toBe(0);
    timers.run();
    expect(spares.readyBytes).toBe(64 * 1024);
  });
});

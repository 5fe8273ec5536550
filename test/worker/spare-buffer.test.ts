import { describe, expect, it } from 'vitest';
import { SLACK, SPARE_MAX_BYTES, SpareBuffer } from '../../src/worker/spare-buffer.js';

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

// The bench's shared bandwidth limit (scripts/lib/link-pacer.mjs) keeps its rate when timers fire
// late, as Node's do (setTimeout rounds sub-millisecond waits up to a millisecond or more).
import { describe, expect, it } from 'vitest';
import { createPacer } from '../../scripts/lib/link-pacer.mjs';

/** A clock whose every timer fires `lateMs` after it was due; `run()` fires them in order. */
function lateClock(lateMs: number) {
  let t = 0;
  const timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => t,
    schedule(ms: number, fn: () => void) {
      timers.push({ at: t + ms + lateMs, fn });
      timers.sort((a, b) => a.at - b.at);
    },
    run() {
      for (let timer = timers.shift(); timer !== undefined; timer = timers.shift()) {
        t = Math.max(t, timer.at);
        timer.fn();
      }
      return t;
    },
  };
}

describe('link pacer', () => {
  it('a busy link keeps its rate when every timer fires late', () => {
    const clock = lateClock(0.4);
    // 200 Mbit/s: a 16 KiB piece takes 0.655 ms, less than a late timer's slip would add to each.
    const pacer = createPacer({ bitsPerSecond: 200e6, chunkBytes: 16 * 1024, clock });
    const sentAt: number[] = [];
    const pieces = 100;
    for (let i = 0; i < pieces; i++) pacer.push({ bytes: 16 * 1024, send: () => sentAt.push(clock.now()) });
    const end = clock.run();
    const ideal = (pieces * 16 * 1024 * 8 * 1000) / 200e6; // 65.5 ms
    expect(sentAt).toHaveLength(pieces);
    expect(end).toBeGreaterThanOrEqual(ideal);
    expect(end).toBeLessThanOrEqual(ideal + 0.4 + 1e-9); // one timer's slip, not one per piece
  });

  it('an idle link starts a piece when it is queued, not when the link last freed', () => {
    const clock = lateClock(0);
    const pacer = createPacer({ bitsPerSecond: 8e6, chunkBytes: 1000, clock }); // 1 ms per 1000 bytes
    const sentAt: number[] = [];
    pacer.push({ bytes: 1000, send: () => sentAt.push(clock.now()) });
    clock.run(); // first piece through at 1 ms; the link is idle after
    clock.schedule(9, () => pacer.push({ bytes: 1000, send: () => sentAt.push(clock.now()) }));
    clock.run();
    expect(sentAt).toEqual([1, 11]); // queued at 10: through at 11, not at 2
  });
});

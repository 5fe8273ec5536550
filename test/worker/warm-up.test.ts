// The worker's start-up warm-up runs the whole frame path on made-up frames and leaves nothing
// behind that a real engine of the worker would see (docs/worker-cost.md, "A cold worker").
import { describe, expect, it } from 'vitest';
import { platformDefaults } from '../../src/platform/platform-defaults.js';
import { warmUp } from '../../src/worker/warm-up.js';

describe('warmUp', () => {
  it('answers its nine calls with frames from memory, through a host of its own, and teaches the worker learners nothing', async () => {
    const links = platformDefaults.linkLearner!();
    const before = links.describe().length;
    const realFetch = globalThis.fetch;
    const calls: string[] = [];
    globalThis.fetch = (async (url: string) => {
      calls.push(String(url));
      throw new Error('the warm-up must not use the network');
    }) as typeof fetch;
    try {
      expect(await warmUp()).toBe(9);
      expect(await warmUp({ packAnswers: true })).toBe(9);
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(calls).toEqual([]);
    expect(links.describe().length).toBe(before);
    expect(links.describe().some((l) => JSON.stringify(l).includes('warm-up.invalid'))).toBe(false);
  });
});

// The interval the bench prints beside a ratio of two peers (scripts/lib/paired-ratio.mjs).
import { describe, expect, it } from 'vitest';
import { pairedRatio } from '../../scripts/lib/paired-ratio.mjs';

describe('pairedRatio()', () => {
  it('is the median of the per-round ratios, not the ratio of the medians', () => {
    // Round by round the second peer is 2x the first, while the rounds themselves drift 10x.
    const a = [10, 20, 40, 80, 160, 320, 640];
    const b = a.map((x) => x / 2);
    const r = pairedRatio(a, b);
    expect(r.ratio).toBe(2);
    expect(r.n).toBe(7);
    // Every round says 2: the resampled medians all say 2.
    expect(r.low).toBe(2);
    expect(r.high).toBe(2);
  });

  it('brackets the ratio, and narrows as rounds are added', () => {
    // Per-round ratios spread over 0.9-1.3 around 1.1.
    const spread = [0.9, 1.0, 1.05, 1.1, 1.1, 1.15, 1.2, 1.3];
    const rounds = (k: number) => Array.from({ length: k * spread.length }, (_, i) => spread[i % spread.length]!);
    const few = rounds(1);
    const many = rounds(8);
    // The second peer's runs, drifting a little round to round; the first is it times the ratio.
    const pair = (ratios: number[]) => {
      const base = ratios.map((_, i) => 50 + (i % 3));
      return pairedRatio(
        ratios.map((x, i) => x * base[i]!),
        base,
      );
    };
    const rFew = pair(few);
    const rMany = pair(many);
    for (const r of [rFew, rMany]) {
      expect(r.ratio).toBeCloseTo(1.1, 10);
      expect(r.low).toBeLessThanOrEqual(r.ratio);
      expect(r.high).toBeGreaterThanOrEqual(r.ratio);
    }
    expect(rMany.high - rMany.low).toBeLessThan(rFew.high - rFew.low);
  });

  it('pairs only rounds where both peers have a run, and gives no interval under 5 rounds', () => {
    const r = pairedRatio([10, undefined, 30, Number.NaN, 0, 12], [5, 10, 15, 20, 25, undefined]);
    expect(r.n).toBe(2);
    expect(r.ratio).toBe(2);
    expect(r.low).toBeNaN();
    expect(r.high).toBeNaN();
    expect(pairedRatio([], []).ratio).toBeNaN();
  });

  it('gives the same interval for the same runs (seeded)', () => {
    const a = [41, 55, 47, 62, 39, 58, 44, 71, 50, 46];
    const b = [40, 42, 45, 50, 41, 47, 43, 52, 44, 40];
    const r = pairedRatio(a, b);
    expect(pairedRatio(a, b)).toEqual(r);
    expect(r.low).toBeLessThan(r.ratio);
    expect(r.high).toBeGreaterThan(r.ratio);
  });
});

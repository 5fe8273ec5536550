import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { FrameCacheError } from '../../src/shared/errors.js';
import {
  chunk,
  clipToLoading,
  clipWindow,
  framesOf,
  missWindow,
  rangesOf,
  type FrameRange,
} from '../../src/core/frame-ranges.js';

describe('rangesOf()', () => {
  it('gives inclusive runs of sorted input', () => {
    expect(rangesOf([1, 2, 3, 8, 9, 10])).toEqual([
      [1, 3],
      [8, 10],
    ]);
  });
  it('gives no range for no frames', () => {
    expect(rangesOf([])).toEqual([]);
  });
  it('collapses duplicates', () => {
    expect(rangesOf([5, 5])).toEqual([[5, 5]]);
  });
  it('sorts unsorted input and reports it once per call', () => {
    const onUnsorted = vi.fn();
    expect(rangesOf([1, 1, 2, 3, 2, 1], onUnsorted)).toEqual([[1, 3]]);
    expect(onUnsorted).toHaveBeenCalledTimes(1);
  });
  it('does not report sorted input', () => {
    const onUnsorted = vi.fn();
    rangesOf([1, 2, 2, 9], onUnsorted);
    expect(onUnsorted).not.toHaveBeenCalled();
  });
  it.each([[0], [-1], [1.5], [Number.NaN]])('rejects %s as invalid-frame-number', (bad) => {
    expect(() => rangesOf([1, bad])).toThrow(FrameCacheError);
    let thrown: unknown;
    try {
      rangesOf([bad]);
    } catch (error) {
      thrown = error;
    }
    // Outside the catch: a call that does not throw fails here.
    expect(thrown).toBeInstanceOf(FrameCacheError);
    expect((thrown as FrameCacheError).code).toBe('invalid-frame-number');
    expect((thrown as Error).message).toContain(String(bad));
  });
  it('matches a brute-force model on any input', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 60 }), { maxLength: 40 }), (frames) => {
        const ranges = rangesOf(frames);
        const expected = [...new Set(frames)].sort((a, b) => a - b);
        expect(framesOf(ranges)).toEqual(expected);
        for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThan(ranges[i - 1]![1] + 1);
      }),
    );
  });
});

describe('missWindow()', () => {
  const cachedSet = (frames: number[]) => (n: number) => frames.includes(n);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  // N = 10, f = 5, m = 4 unless given (docs/seed-behaviour.md table).
  it.each<[string, number[], number, FrameRange]>([
    ['nothing cached', [], 4, [5, 8]],
    ['m = 20', [], 20, [1, 10]],
    ['6..9 cached', range(6, 9), 4, [2, 5]],
    ['1..4 cached', range(1, 4), 4, [5, 8]],
    ['{2,3,4,8,9} cached', [2, 3, 4, 8, 9], 4, [5, 7]],
    ['5..9 cached', range(5, 9), 4, [2, 5]],
    ['all cached', range(1, 10), 4, [5, 5]],
    ['{6,7} cached (a cached middle stays inside)', [6, 7], 4, [5, 8]],
    ['{5} cached', [5], 4, [5, 8]],
    ['m = 1', [], 1, [5, 5]],
    ['only 5 missing', range(1, 10).filter((n) => n !== 5), 4, [5, 5]],
  ])('%s', (_name, cached, m, expected) => {
    expect(missWindow(10, 5, m, cachedSet(cached))).toEqual(expected);
  });
  it.each([
    ['m < 1', 10, 5, 0],
    ['f < 1', 10, 0, 4],
    ['f > N', 10, 11, 4],
    ['N < 1', 0, 1, 4],
  ])('is undefined for %s', (_name, n, f, m) => {
    expect(missWindow(n, f, m, () => false)).toBeUndefined();
  });
  it('always contains the missed frame and stays within bounds (property)', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 40 })
          .chain((n) =>
            fc.tuple(
              fc.constant(n),
              fc.integer({ min: 1, max: n }),
              fc.integer({ min: 1, max: 50 }),
              fc.uniqueArray(fc.integer({ min: 1, max: n })),
            ),
          ),
        ([n, f, m, cached]) => {
          const w = missWindow(n, f, m, (x) => cached.includes(x))!;
          expect(w[0]).toBeGreaterThanOrEqual(1);
          expect(w[1]).toBeLessThanOrEqual(n);
          expect(w[0]).toBeLessThanOrEqual(f);
          expect(w[1]).toBeGreaterThanOrEqual(f);
          expect(w[1] - w[0] + 1).toBeLessThanOrEqual(m);
        },
      ),
    );
  });
});

describe('clipToLoading()', () => {
  const loadsA: FrameRange[][] = [
    [
      [1, 3],
      [6, 6],
    ],
    [[4, 4]],
    [[7, 8]],
    [[5, 5]],
  ];
  it.each<[string, FrameRange[][], FrameRange, FrameRange | undefined]>([
    ['{1-3,6},{4},{7,8},{5}: (1,8) -> none', loadsA, [1, 8], undefined],
    ['{1-3,6},{4},{7,8},{5}: (1,3) -> none', loadsA, [1, 3], undefined],
    ['{1-3,6},{4},{7,8},{5}: (7,8) -> none', loadsA, [7, 8], undefined],
    ['{1-3,6},{4},{7,8},{5}: (1,9) -> (9,9)', loadsA, [1, 9], [9, 9]],
    ['{1-3},{4},{7,8}: (1,9) -> (5,9)', [[[1, 3]], [[4, 4]], [[7, 8]]], [1, 9], [5, 9]],
    ['{3},{4},{7,8}: (1,8) -> (1,6)', [[[3, 3]], [[4, 4]], [[7, 8]]], [1, 8], [1, 6]],
    [
      '{1-3,6},{4},{7,8}: (1,8) -> (5,5)',
      [
        [
          [1, 3],
          [6, 6],
        ],
        [[4, 4]],
        [[7, 8]],
      ],
      [1, 8],
      [5, 5],
    ],
    ['nothing loading: (1,8) -> (1,8)', [], [1, 8], [1, 8]],
  ])('%s', (_name, loads, window, expected) => {
    expect(clipToLoading(window, loads)).toEqual(expected);
  });

  // The original's algorithm, literally: walk ranges by start, then by end descending.
  function originalClip(window: FrameRange, loads: FrameRange[][]): FrameRange | undefined {
    let [start, end] = window;
    const ranges = loads.flat();
    for (const [s, e] of [...ranges].sort((a, b) => a[0] - b[0])) if (s <= start && start <= e) start = e + 1;
    if (start > end) return undefined;
    for (const [s, e] of [...ranges].sort((a, b) => b[1] - a[1])) if (s <= end && end <= e) end = s - 1;
    if (end < start) return undefined;
    return [start, end];
  }

  it('equals the original range walk on random loads (property)', () => {
    const rangeArb = fc
      .tuple(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 5 }))
      .map(([s, l]) => [s, s + l] as FrameRange);
    fc.assert(
      fc.property(
        fc.array(fc.array(rangeArb, { minLength: 1, maxLength: 3 }), { maxLength: 5 }),
        rangeArb,
        (loads, window) => {
          expect(clipToLoading(window, loads)).toEqual(originalClip(window, loads));
        },
      ),
    );
  });

  it('keeps loading frames strictly inside the window', () => {
    expect(clipWindow([1, 9], (n) => n === 5)).toEqual([1, 9]);
  });
});

describe('chunk()', () => {
  it('splits into chunks of at most size items, order kept', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });
});

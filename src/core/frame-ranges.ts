/**
 * Frame-number arithmetic of the cache, as the Python original defines it
 * (docs/seed-behaviour.md: "Frame-number ranges", "The window loaded on a miss", "Clipping").
 * Frame numbers are 1-based; a range is inclusive at both ends.
 */
import { FrameCacheError } from '../shared/errors.js';

export type FrameRange = readonly [start: number, end: number];

/**
 * Inclusive runs of consecutive frame numbers, duplicates collapsed:
 * [1,2,3,8,9,10] -> [[1,3],[8,10]]. Unsorted input is sorted first and `onUnsorted` is
 * called (the caller logs a performance warning once). Any value < 1 or not an integer is
 * an 'invalid-frame-number' error.
 */
export function rangesOf(frameNumbers: readonly number[], onUnsorted?: () => void): FrameRange[] {
  let sorted = true;
  for (let i = 0; i < frameNumbers.length; i++) {
    const n = frameNumbers[i]!;
    if (!Number.isInteger(n) || n < 1) {
      throw new FrameCacheError(
        'invalid-frame-number',
        `Expected frame numbers to be integers >= 1, got \`${String(n)}\``,
      );
    }
    if (i > 0 && n < frameNumbers[i - 1]!) sorted = false;
  }
  let list = frameNumbers;
  if (!sorted) {
    onUnsorted?.();
    list = [...frameNumbers].sort((a, b) => a - b);
  }
  const ranges: FrameRange[] = [];
  let start = 0;
  let end = -1;
  for (const n of list) {
    if (n === end || n === end + 1) {
      end = n;
      continue;
    }
    if (end >= 1) ranges.push([start, end]);
    start = n;
    end = n;
  }
  if (end >= 1) ranges.push([start, end]);
  return ranges;
}

/** Every frame number of the ranges, in order. */
export function framesOf(ranges: readonly FrameRange[]): number[] {
  const out: number[] = [];
  for (const [start, end] of ranges) for (let n = start; n <= end; n++) out.push(n);
  return out;
}

/**
 * The window of at most `maxFrames` frames loaded on a miss of `frameNumber` in an instance
 * of `frameCount` frames. Forward-biased: it ends at frameNumber + maxFrames - 1 (clamped), then
 * the end walks back over cached frames (never below frameNumber); it starts maxFrames before
 * the end (clamped), then the start walks forward over cached frames (never past
 * frameNumber). Always contains frameNumber; undefined for invalid arguments.
 */
export function missWindow(
  frameCount: number,
  frameNumber: number,
  maxFrames: number,
  isCached: (frameNumber: number) => boolean,
): FrameRange | undefined {
  if (maxFrames < 1 || frameNumber < 1 || frameCount < 1 || frameNumber > frameCount) return undefined;
  let end = Math.min(frameCount, frameNumber + maxFrames - 1);
  while (end > frameNumber && isCached(end)) end--;
  let start = Math.max(end - maxFrames + 1, 1);
  while (start < frameNumber && isCached(start)) start++;
  return [start, end];
}

/**
 * Shrinks a window whose ends are already loading: the start moves forward past every
 * loading frame it meets, then the end moves back likewise. Loading frames strictly inside
 * the window stay (the engine drops those itself). Undefined when nothing is left.
 */
export function clipWindow(window: FrameRange, isLoading: (frameNumber: number) => boolean): FrameRange | undefined {
  let [start, end] = window;
  while (start <= end && isLoading(start)) start++;
  if (start > end) return undefined;
  while (end > start && isLoading(end)) end--;
  return [start, end];
}

/**
 * The original's clip: `loads` holds the ranges of each in-flight load of the instance
 * (bounds inclusive). Walking the loading ranges by start, then by end descending, is the
 * same as moving each end past loading frames one by one, which `clipWindow` does.
 */
export function clipToLoading(window: FrameRange, loads: readonly (readonly FrameRange[])[]): FrameRange | undefined {
  const ranges = loads.flat();
  return clipWindow(window, (n) => ranges.some(([start, end]) => start <= n && n <= end));
}

/** Splits a list into consecutive chunks of at most `size` items. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Every argument and option check of the module, used by the engine, the facade and openSlide:
 * the same mistake gets the same code and the same message wherever it is made. Messages follow
 * one template (``Expected `name` to be <rule>, got `value` (type)``) and never echo a header value.
 */
import { FrameCacheError, invalidOption } from '../shared/errors.js';
import type { PriorityRank } from './in-flight.js';
import { rangesOf } from './frame-ranges.js';
import type { Logger } from './ports.js';
import { framesForRegion, type Region, type RegionFrame, type TiledLevel } from './prefetch-region.js';
import type { FrameRequestOptions, HeadersProvider, Hint, InstanceGroup, InstanceRef, Priority } from './types.js';

export const HINTS: readonly Hint[] = ['minimize-requests', 'minimize-latency', 'no-wait'];
/** The largest delay setTimeout honours (a larger one fires at once). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The most frames an instance may have: 2^22 (4,194,304), a level of 2,048 x 2,048 tiles. The
 * largest slides have well under a million tiles a level; whole-instance reads keep state per
 * frame, so a NumberOfFrames from bad metadata must not size them (it threw a RangeError at
 * 2^32 and took hundreds of MB near 10^8).
 */
export const MAX_FRAME_COUNT = 2 ** 22;

/**
 * An object literal's kind (any realm): not an array, a Headers object, a Map or another built-in
 * whose entries are not own properties (its values would be read as none).
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.prototype.toString.call(value) === '[object Object]'
  );
}

export function checkInteger(name: string, value: unknown, min: number, allowInfinity = false): number {
  if (allowInfinity && value === Infinity) return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw invalidOption(name, `an integer >= ${min}${allowInfinity ? ' or Infinity' : ''}`, value);
  }
  return value;
}

export function checkHint(name: string, value: unknown): Hint {
  if (typeof value !== 'string' || !(HINTS as readonly string[]).includes(value)) {
    throw invalidOption(name, `one of ${HINTS.map((h) => `'${h}'`).join(', ')}`, value);
  }
  return value as Hint;
}

/** Throws 'invalid-option' for any key of `options` not in `allowed`. */
export function checkKnownKeys(options: object, allowed: readonly string[], where = 'options'): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new FrameCacheError(
        'invalid-option',
        `Unknown option \`${key}\` in ${where}; expected one of: ${allowed.join(', ')}`,
      );
    }
  }
}

export function checkHeaders(value: unknown): HeadersProvider | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') return value as HeadersProvider;
  if (isPlainObject(value) && Object.values(value).every((v) => typeof v === 'string')) {
    return value as Record<string, string>;
  }
  // Never echo header values: they may hold a token.
  throw new FrameCacheError(
    'invalid-option',
    'Expected `headers` to be a record of strings or a function returning one, got a value of another shape',
  );
}

export function checkLogger(value: unknown): Logger | undefined {
  checkMethods(
    'logger',
    value,
    ['debug', 'info', 'warn', 'error'],
    'an object with debug, info, warn and error functions',
  );
  return value as Logger | undefined;
}

/** An optional object (`undefined` passes) with a function under each of `methods`. */
export function checkMethods(name: string, value: unknown, methods: readonly string[], rule: string): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw invalidOption(name, rule, value);
}

/** A timeout in ms that setTimeout honours: an integer from 1 to 2^31-1. */
export function checkTimeoutMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    throw invalidOption(name, `an integer from 1 to ${MAX_TIMEOUT_MS}`, value);
  }
  return value;
}

/** An optional function (`undefined` passes). */
export function checkFunction(name: string, value: unknown, rule = 'a function'): void {
  if (value !== undefined && typeof value !== 'function') throw invalidOption(name, rule, value);
}

/** Absolute http(s) URL check for instance URLs; results memoised (the hit path calls it). */
const checkedUrls = new Map<string, boolean>();
export function isHttpUrl(url: unknown): url is string {
  if (typeof url !== 'string') return false;
  let ok = checkedUrls.get(url);
  if (ok === undefined) {
    ok = /^https?:\/\//i.test(url) && URL.canParse(url);
    if (checkedUrls.size > 10000) checkedUrls.clear();
    checkedUrls.set(url, ok);
  }
  return ok;
}

export const PRIORITY_RANK: Record<Priority, PriorityRank> = { visible: 0, prefetch: 2, preload: 3 };

/** The caller's priority of a rank (rank 1, background, is the engine's own and never a caller's). */
export function priorityName(rank: PriorityRank): Priority {
  return rank === 0 ? 'visible' : rank === 3 ? 'preload' : 'prefetch';
}

export function checkInstance(instance: unknown, name = 'instance'): InstanceRef {
  if (typeof instance !== 'object' || instance === null)
    throw invalidOption(name, 'an object { url, frameCount }', instance);
  const { url, frameCount } = instance as Partial<InstanceRef>;
  if (!isHttpUrl(url)) throw invalidOption(`${name}.url`, 'an absolute http(s) URL', url);
  if (checkInteger(`${name}.frameCount`, frameCount, 1) > MAX_FRAME_COUNT)
    throw invalidOption(`${name}.frameCount`, `an integer from 1 to ${MAX_FRAME_COUNT}`, frameCount);
  return instance as InstanceRef;
}

export function checkFrameNumber(frameNumber: unknown, frameCount: number): number {
  if (
    typeof frameNumber !== 'number' ||
    !Number.isInteger(frameNumber) ||
    frameNumber < 1 ||
    frameNumber > frameCount
  ) {
    throw new FrameCacheError(
      'invalid-frame-number',
      `Expected \`frameNumber\` to be an integer from 1 to ${frameCount}, got \`${String(frameNumber)}\` (${typeof frameNumber})`,
    );
  }
  return frameNumber;
}

export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (typeof signal !== 'object' || signal === null || typeof (signal as AbortSignal).addEventListener !== 'function') {
    throw invalidOption('signal', 'an AbortSignal', signal);
  }
  return signal as AbortSignal;
}

export function checkRequestOptions(opts: unknown): {
  hint: Hint | undefined;
  signal: AbortSignal | undefined;
  priority: PriorityRank;
} {
  if (opts === undefined) return { hint: undefined, signal: undefined, priority: 0 };
  if (typeof opts !== 'object' || opts === null) throw invalidOption('opts', 'an object', opts);
  checkKnownKeys(opts, ['hint', 'signal', 'priority'], 'frame request options');
  const o = opts as FrameRequestOptions;
  const priority = o.priority ?? 'visible';
  if (!(priority in PRIORITY_RANK))
    throw invalidOption('priority', "one of 'visible', 'prefetch', 'preload'", priority);
  return {
    hint: o.hint === undefined ? undefined : checkHint('hint', o.hint),
    signal: checkSignal(o.signal),
    priority: PRIORITY_RANK[priority],
  };
}

export function instancesOf(target: unknown): InstanceRef[] {
  if (Array.isArray(target)) return target.map((t, i) => checkInstance(t, `target[${i}]`));
  if (typeof target === 'object' && target !== null && Array.isArray((target as InstanceGroup).instances)) {
    return (target as InstanceGroup).instances.map((t, i) => checkInstance(t, `target.instances[${i}]`));
  }
  return [checkInstance(target, 'target')];
}

/** getFrames' arguments: every frame number checked before anything happens. */
export function checkFramesRequest(
  instance: unknown,
  frameNumbers: unknown,
  opts: unknown,
): ReturnType<typeof checkRequestOptions> {
  const ref = checkInstance(instance);
  if (!Array.isArray(frameNumbers)) throw invalidOption('frameNumbers', 'an array of frame numbers', frameNumbers);
  for (const n of frameNumbers) checkFrameNumber(n, ref.frameCount);
  return checkRequestOptions(opts);
}

/** prefetch's arguments; returns the frames of the region and its rings, nearest first. */
export function checkPrefetch(
  level: unknown,
  region: unknown,
  opts: unknown,
): { frames: RegionFrame[]; pin: InstanceRef[][] } {
  if (typeof level !== 'object' || level === null || typeof (level as TiledLevel).frameAt !== 'function') {
    throw invalidOption('level', 'a Level from openSlide (with frameAt)', level);
  }
  if (
    typeof region !== 'object' ||
    region === null ||
    !['x', 'y', 'width', 'height'].every((k) => Number.isFinite((region as Record<string, unknown>)[k]))
  ) {
    throw invalidOption('region', 'an object { x, y, width, height } of finite numbers', region);
  }
  const { width, height } = region as Region;
  if (width < 0 || height < 0) throw invalidOption('region', 'a width and height of 0 or more', region);
  if (typeof opts !== 'object' || opts === null) throw invalidOption('opts', 'an object', opts);
  checkKnownKeys(opts, ['ring', 'pin'], 'prefetch options');
  const { ring = 1, pin = [] } = opts as { ring?: unknown; pin?: unknown };
  if (!Array.isArray(pin)) throw invalidOption('pin', 'an array of levels', pin);
  return {
    frames: framesForRegion(level as TiledLevel, region as Region, checkRing(ring)),
    // Plain refs: a Level's frameAt closure cannot cross to a worker.
    pin: pin.map((l) => instancesOf(l).map((i) => ({ url: i.url, frameCount: i.frameCount }))),
  };
}

/** cacheWholeInstance's options: `blocking` (default true). */
export function checkWholeInstanceOptions(opts: unknown): boolean {
  if (typeof opts !== 'object' || opts === null) throw invalidOption('opts', 'an object', opts);
  checkKnownKeys(opts, ['blocking'], 'cacheWholeInstance options');
  const { blocking = true } = opts as { blocking?: unknown };
  if (typeof blocking !== 'boolean') throw invalidOption('blocking', 'a boolean', blocking);
  return blocking;
}

/** waitForLoads' arguments: the timeout in ms (default 600000); timers fire at once past 2^31 - 1. */
export function checkWaitForLoads(instanceUrl: unknown, opts: unknown): number {
  if (instanceUrl !== undefined && typeof instanceUrl !== 'string')
    throw invalidOption('instanceUrl', 'a string', instanceUrl);
  if (typeof opts !== 'object' || opts === null) throw invalidOption('opts', 'an object', opts);
  checkKnownKeys(opts, ['timeoutMs'], 'waitForLoads options');
  const timeoutMs = checkInteger('timeoutMs', (opts as { timeoutMs?: unknown }).timeoutMs ?? 600000, 0);
  if (timeoutMs > MAX_TIMEOUT_MS) throw invalidOption('timeoutMs', `an integer from 0 to ${MAX_TIMEOUT_MS}`, timeoutMs);
  return timeoutMs;
}

/** putExternal's arguments, key first. */
export function checkExternal(key: unknown, bytes: unknown): void {
  if (typeof key !== 'string') throw invalidOption('key', 'a string', key);
  if (!(bytes instanceof Uint8Array)) throw invalidOption('bytes', 'a Uint8Array', bytes);
}

/** Rings of tiles around a prefetch region: past MAX_RING a level has no tile left to add. */
export const MAX_RING = 65_535;

function checkRing(ring: unknown): number {
  const value = checkInteger('ring', ring, 0);
  if (value > MAX_RING) throw invalidOption('ring', `an integer from 0 to ${MAX_RING}`, ring);
  return value;
}

/** getFrame's arguments. */
export function checkFrameRequest(
  instance: unknown,
  frameNumber: unknown,
  opts: unknown,
): ReturnType<typeof checkRequestOptions> {
  const ref = checkInstance(instance);
  checkFrameNumber(frameNumber, ref.frameCount);
  return checkRequestOptions(opts);
}

/**
 * preload's arguments: instance URLs and frame numbers (integers >= 1: there are no frame
 * counts here), each list deduplicated and sorted; `onUnsorted` hears of an unsorted list.
 */
export function checkPreload<C>(
  frames: unknown,
  opts: unknown,
  onUnsorted: (instanceUrl: string) => void,
): {
  plan: [string, number[]][];
  copyFrom: C | undefined;
  blocking: boolean;
  onProgress: ((done: number, total: number) => void) | undefined;
} {
  if (typeof frames !== 'object' || frames === null || Array.isArray(frames)) {
    throw invalidOption('frames', 'an object { [instanceUrl]: frameNumbers[] }', frames);
  }
  if (typeof opts !== 'object' || opts === null) throw invalidOption('opts', 'an object', opts);
  checkKnownKeys(opts, ['copyFrom', 'blocking', 'onProgress'], 'preload options');
  const { copyFrom, blocking = true, onProgress } = opts as { copyFrom?: C; blocking?: unknown; onProgress?: unknown };
  if (typeof blocking !== 'boolean') throw invalidOption('blocking', 'a boolean', blocking);
  if (onProgress !== undefined && typeof onProgress !== 'function')
    throw invalidOption('onProgress', 'a function', onProgress);
  const plan: [string, number[]][] = [];
  for (const [url, numbers] of Object.entries(frames)) {
    if (!isHttpUrl(url)) throw invalidOption('frames key', 'an absolute http(s) instance URL', url);
    if (!Array.isArray(numbers)) throw invalidOption(`frames[${url}]`, 'an array of frame numbers', numbers);
    const unique = [...new Set(numbers as number[])];
    rangesOf(unique, () => onUnsorted(url)); // integers >= 1, else 'invalid-frame-number'
    plan.push([url, unique.sort((a, b) => a - b)]);
  }
  return { plan, copyFrom, blocking, onProgress: onProgress as ((done: number, total: number) => void) | undefined };
}

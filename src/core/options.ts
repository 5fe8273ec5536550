/**
 * Validation of the options every cache takes (DESIGN.md: "every rule below is checked by the
 * constructor; a value that breaks one, or an unknown key, throws FrameCacheError
 * 'invalid-option'"). One message template names the option and the value.
 */
import { FrameCacheError, invalidOption } from '../shared/errors.js';
import type { Logger } from './ports.js';
import type { FrameCacheOptions, HeadersProvider, Hint, SpillOptions } from './types.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export const HINTS: readonly Hint[] = ['minimize-requests', 'minimize-latency', 'no-wait'];

export interface ResolvedSpillOptions {
  maxBytes: number;
  maxAgeMs: number;
  dbName: string;
  namespace: string;
}

export interface ResolvedOptions {
  headers: HeadersProvider | undefined;
  maxBytes: number;
  framesPerMiss: number;
  /** undefined: left unset, the engine may choose adaptively. */
  wholeInstanceMaxFrames: number | undefined;
  framesPerRequest: number;
  maxConcurrentRequests: number;
  requestTimeoutMs: number;
  maxRetries: number;
  hint: Hint;
  spill: ResolvedSpillOptions | false;
  logger: Logger | undefined;
}

export const DEFAULT_WHOLE_INSTANCE_MAX_FRAMES = 10000;

const SHARED_KEYS = [
  'headers',
  'maxBytes',
  'framesPerMiss',
  'wholeInstanceMaxFrames',
  'framesPerRequest',
  'maxConcurrentRequests',
  'requestTimeoutMs',
  'maxRetries',
  'hint',
  'spill',
  'logger',
] as const;

const SPILL_KEYS = new Set(['maxBytes', 'maxAgeMs', 'dbName', 'namespace']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

function checkHeaders(value: unknown): HeadersProvider | undefined {
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

function checkLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  const ok =
    isPlainObject(value) || (typeof value === 'object' && value !== null)
      ? ['debug', 'info', 'warn', 'error'].every((m) => typeof (value as Record<string, unknown>)[m] === 'function')
      : false;
  if (!ok) throw invalidOption('logger', 'an object with debug, info, warn and error functions', value);
  return value as Logger;
}

function checkSpill(value: unknown): ResolvedSpillOptions | false {
  if (value === undefined || value === false) return false;
  if (value === true) value = {};
  if (!isPlainObject(value)) throw invalidOption('spill', 'false or an object', value);
  checkKnownKeys(value, [...SPILL_KEYS], '`spill`');
  const spill = value as SpillOptions;
  const dbName = spill.dbName ?? 'dicomweb-frame-cache';
  if (typeof dbName !== 'string' || dbName.length === 0) throw invalidOption('spill.dbName', 'a non-empty string', dbName);
  const namespace = spill.namespace ?? '';
  if (typeof namespace !== 'string') throw invalidOption('spill.namespace', 'a string', namespace);
  return {
    maxBytes: checkInteger('spill.maxBytes', spill.maxBytes ?? GiB, 1),
    maxAgeMs: checkInteger('spill.maxAgeMs', spill.maxAgeMs ?? 24 * 60 * 60 * 1000, 1),
    dbName,
    namespace,
  };
}

/**
 * Validates and fills defaults. `extraKeys` are keys the calling class takes on top of the
 * shared ones (the engine's ports, the facade's worker settings); it checks those itself.
 */
export function resolveOptions(options: unknown, extraKeys: readonly string[] = []): ResolvedOptions {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) throw invalidOption('options', 'an object', options);
  checkKnownKeys(options, [...SHARED_KEYS, ...extraKeys]);
  const o = options as FrameCacheOptions;
  const wholeInstanceMaxFrames =
    o.wholeInstanceMaxFrames === undefined ? undefined : checkInteger('wholeInstanceMaxFrames', o.wholeInstanceMaxFrames, 0);
  return {
    headers: checkHeaders(o.headers),
    maxBytes: checkInteger('maxBytes', o.maxBytes ?? 256 * MiB, 1, true),
    framesPerMiss: checkInteger('framesPerMiss', o.framesPerMiss ?? 500, 1),
    wholeInstanceMaxFrames,
    framesPerRequest: checkInteger('framesPerRequest', o.framesPerRequest ?? 400, 1),
    maxConcurrentRequests: checkInteger('maxConcurrentRequests', o.maxConcurrentRequests ?? 4, 1),
    requestTimeoutMs: checkInteger('requestTimeoutMs', o.requestTimeoutMs ?? 30000, 1),
    maxRetries: checkInteger('maxRetries', o.maxRetries ?? 3, 0),
    hint: checkHint('hint', o.hint ?? 'minimize-latency'),
    spill: checkSpill(o.spill),
    logger: checkLogger(o.logger),
  };
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

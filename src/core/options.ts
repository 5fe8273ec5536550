/**
 * The options every cache takes (FrameCacheOptions): defaults, and their resolution through the
 * checks of validate.ts. Every rule is checked by the constructor; a value that breaks one, or an
 * unknown key, throws FrameCacheError 'invalid-option' (docs/design.md, "Validation").
 */
import { invalidOption } from '../shared/errors.js';
import type { Logger } from './ports.js';
import {
  HTTP_CACHE_MODES,
  type FrameCacheOptions,
  type HeadersProvider,
  type Hint,
  type HttpCacheMode,
  type SpillOptions,
} from './types.js';
import {
  checkHeaders,
  checkHint,
  checkInteger,
  checkKnownKeys,
  checkLogger,
  checkTimeoutMs,
  isPlainObject,
} from './validate.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

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
  httpCache: HttpCacheMode | undefined;
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
  'httpCache',
  'spill',
  'logger',
] as const;

function checkHttpCache(value: unknown): HttpCacheMode | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !(HTTP_CACHE_MODES as readonly string[]).includes(value)) {
    throw invalidOption('httpCache', `one of ${HTTP_CACHE_MODES.map((m) => `'${m}'`).join(', ')}`, value);
  }
  return value as HttpCacheMode;
}

const SPILL_KEYS = new Set(['maxBytes', 'maxAgeMs', 'dbName', 'namespace']);

function checkSpill(value: unknown): ResolvedSpillOptions | false {
  if (value === undefined || value === false) return false;
  if (value === true) value = {};
  if (!isPlainObject(value)) throw invalidOption('spill', 'false or an object', value);
  checkKnownKeys(value, [...SPILL_KEYS], '`spill`');
  const spill = value as SpillOptions;
  const dbName = spill.dbName ?? 'dicomweb-frame-cache';
  if (typeof dbName !== 'string' || dbName.length === 0)
    throw invalidOption('spill.dbName', 'a non-empty string', dbName);
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
    o.wholeInstanceMaxFrames === undefined
      ? undefined
      : checkInteger('wholeInstanceMaxFrames', o.wholeInstanceMaxFrames, 0);
  return {
    headers: checkHeaders(o.headers),
    maxBytes: checkInteger('maxBytes', o.maxBytes ?? 256 * MiB, 1, true),
    framesPerMiss: checkInteger('framesPerMiss', o.framesPerMiss ?? 500, 1),
    wholeInstanceMaxFrames,
    framesPerRequest: checkInteger('framesPerRequest', o.framesPerRequest ?? 400, 1),
    maxConcurrentRequests: checkInteger('maxConcurrentRequests', o.maxConcurrentRequests ?? 4, 1),
    requestTimeoutMs: checkTimeoutMs('requestTimeoutMs', o.requestTimeoutMs ?? 30000),
    maxRetries: checkInteger('maxRetries', o.maxRetries ?? 3, 0),
    hint: checkHint('hint', o.hint ?? 'minimize-latency'),
    httpCache: checkHttpCache(o.httpCache),
    spill: checkSpill(o.spill),
    logger: checkLogger(o.logger),
  };
}

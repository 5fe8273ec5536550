/**
 * The slide model: `openSlide(seriesUrl)` reads a WSI series' DICOM JSON metadata (one
 * request, `GET {series}/metadata`) and returns its pyramid levels, largest first, each with
 * `frameAt(x, y)` to find the tile holding a pixel.
 *
 * Security: instance URLs are `${seriesUrl}/instances/${SOPInstanceUID}` with the UID checked
 * to be digits and dots (at most 64 characters); an instance whose UID fails is skipped. Any
 * BulkDataURI or retrieve URL in the metadata is ignored: metadata never chooses where a
 * request goes.
 */
import type { FetchLike, Logger, ResponseLike } from '../core/ports.js';
import { realTimers } from '../shared/real-timers.js';
import {
  checkFunction,
  checkHeaders,
  checkInteger,
  checkKnownKeys,
  checkLogger,
  checkSignal,
  checkTimeoutMs,
  isPlainObject,
} from '../core/validate.js';
import type { HeadersProvider } from '../core/types.js';
import { FrameCacheError, invalidOption } from '../shared/errors.js';
import { concatBytes } from '../shared/bytes.js';
import { isDataset, type DicomJsonDataset } from './dicom-json.js';
import { runWithRetries, type HttpSettings } from '../transport/http.js';
import { buildLevels } from './slide-levels.js';
import type { Slide } from './slide-types.js';
import { parseWsiInstance, type WsiInstanceInfo } from './wsi-instance.js';

export type { WsiImageFlavor } from './wsi-instance.js';
export type { Instance, InstanceRef, Level, Slide } from './slide-types.js';

export interface OpenSlideOptions {
  /** Request headers, or a function called with the request URL that returns them. */
  headers?: HeadersProvider;
  /** @default globalThis.fetch, read when openSlide is called */
  fetch?: FetchLike;
  /**
   * Idle timeout in ms: no byte for this long (or under 1 KiB a second over it) aborts with
   * 'timeout'. Integer 1..2^31-1. @default 30000
   */
  requestTimeoutMs?: number;
  /** Retries of 429/500/502/503/504, network errors and cut-short answers (backoff as FrameCache). @default 3 */
  maxRetries?: number;
  /** Aborting rejects with `signal.reason`. */
  signal?: AbortSignal;
  logger?: Logger;
}

const OPTION_KEYS: readonly string[] = ['headers', 'fetch', 'requestTimeoutMs', 'maxRetries', 'signal', 'logger'];
const noop = (): void => {};
const SILENT: Logger = { debug: noop, info: noop, warn: noop, error: noop };

interface ResolvedOptions {
  headers: HeadersProvider | undefined;
  fetch: FetchLike;
  requestTimeoutMs: number;
  maxRetries: number;
  signal: AbortSignal | undefined;
  logger: Logger;
}

/**
 * Reads the series metadata and builds the slide.
 *
 * Rejects with FrameCacheError: 'invalid-option' (bad seriesUrl or option), 'http' (network
 * failure, a non-2xx answer with its `status`, or a body that is not a JSON array of datasets:
 * "malformed metadata"), 'headers' (the headers function threw: `cause`), 'timeout'. An abort rejects with
 * `signal.reason`.
 */
export async function openSlide(seriesUrl: string, opts?: OpenSlideOptions): Promise<Slide> {
  const options = resolveOptions(opts);
  const base = normaliseSeriesUrl(seriesUrl);
  const url = `${base}/metadata`;
  const body = await fetchMetadata(url, options);
  if (!Array.isArray(body) || !body.every(isDataset)) {
    throw new FrameCacheError('http', `GET ${url}: malformed metadata (expected a JSON array of datasets)`);
  }
  const infos: WsiInstanceInfo[] = [];
  for (const dataset of body as DicomJsonDataset[]) {
    const info = parseWsiInstance(dataset, options.logger);
    if (info !== undefined) infos.push(info);
  }
  const { levels, ancillary } = buildLevels(infos, base, options.logger);
  if (levels.length === 0) options.logger.warn('openSlide: the series has no VOLUME level', { seriesUrl: base });
  return { levels, ancillary, seriesUrl: base };
}

/** The same checks (and messages) as FrameCache and FrameCacheEngine: core/validate.ts. */
function resolveOptions(opts: OpenSlideOptions | undefined): ResolvedOptions {
  if (opts === undefined) opts = {};
  if (!isPlainObject(opts as unknown)) throw invalidOption('options', 'an object', opts);
  checkKnownKeys(opts, OPTION_KEYS, 'openSlide options');
  const { fetch, requestTimeoutMs = 30000, maxRetries = 3 } = opts;
  checkFunction('fetch', fetch);
  return {
    headers: checkHeaders(opts.headers),
    // Read lazily, at call time, so a fetch installed after import is used.
    fetch: fetch ?? ((url, init) => globalThis.fetch(url, init) as unknown as Promise<ResponseLike>),
    requestTimeoutMs: checkTimeoutMs('requestTimeoutMs', requestTimeoutMs),
    maxRetries: checkInteger('maxRetries', maxRetries, 0),
    signal: checkSignal(opts.signal),
    logger: checkLogger(opts.logger) ?? SILENT,
  };
}

function normaliseSeriesUrl(seriesUrl: unknown): string {
  const rule = 'an absolute http(s) URL without query or fragment';
  if (typeof seriesUrl !== 'string') throw invalidOption('seriesUrl', rule, seriesUrl);
  let parsed: URL;
  try {
    parsed = new URL(seriesUrl);
  } catch {
    throw invalidOption('seriesUrl', rule, seriesUrl);
  }
  // Paths are appended to the URL: a query or fragment would swallow them.
  if ((parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.search !== '' || parsed.hash !== '') {
    throw invalidOption('seriesUrl', rule, seriesUrl);
  }
  return parsed.href.replace(/\/+$/, '');
}

/**
 * GET the metadata and parse its JSON: the transport's request with its retries (429, 5xx,
 * network errors, cut-short bodies), idle timeout and the caller's signal. The Accept is ours:
 * DICOM JSON is what we parse.
 */
async function fetchMetadata(url: string, options: ResolvedOptions): Promise<unknown> {
  const settings: HttpSettings = {
    fetch: options.fetch,
    headers: options.headers,
    timers: realTimers,
    requestTimeoutMs: options.requestTimeoutMs,
    maxRetries: options.maxRetries,
  };
  const signal = options.signal ?? new AbortController().signal;
  return runWithRetries<unknown>(
    settings,
    {
      signal,
      onRetry: (attempt, reason) =>
        options.logger.warn('openSlide: metadata request retried', { url, attempt, reason }),
    },
    {
      next: () => ({ url, accept: 'application/dicom+json' }),
      consume: async (attempt) => {
        const chunks: Uint8Array[] = [];
        for await (const chunk of attempt.chunks()) chunks.push(chunk);
        try {
          return JSON.parse(new TextDecoder('utf-8').decode(concatBytes(chunks))) as unknown;
        } catch (error) {
          throw new FrameCacheError('http', `GET ${url}: malformed metadata (not JSON)`, { cause: error });
        }
      },
    },
  );
}

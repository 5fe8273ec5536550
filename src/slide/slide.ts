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
import type { FetchLike, Logger, ResponseLike, Timers } from '../core/ports.js';
import type { HeadersProvider, InstanceRef } from '../core/types.js';
import type { PixelFormat } from '../decode/pixel-format.js';
import { FrameCacheError, invalidOption } from '../shared/errors.js';
import { concatBytes } from '../shared/bytes.js';
import { isDataset, type DicomJsonDataset } from './dicom-json.js';
import { runWithRetries, type HttpSettings } from '../transport/http.js';
import { buildLevels } from './slide-levels.js';
import { parseWsiInstance, type WsiImageFlavor, type WsiInstanceInfo } from './wsi-instance.js';

export type { WsiImageFlavor } from './wsi-instance.js';

export type { InstanceRef };

export interface Instance extends InstanceRef {
  sopInstanceUid: string;
  /** 0-based: ConcatenationFrameOffsetNumber, 0 when absent. */
  frameOffset: number;
  /** How its frames are encoded (transfer syntax, photometric interpretation, bits): what `getTile` decodes by. */
  pixelFormat?: PixelFormat;
}

export interface Level {
  /** Position in `Slide.levels` (or `Slide.ancillary`). */
  index: number;
  /** ImageType value 3 of the level's instances. */
  flavor?: WsiImageFlavor;
  /** TotalPixelMatrixColumns / Rows. */
  width: number;
  height: number;
  /** Columns / Rows: the tile size. */
  frameWidth: number;
  frameHeight: number;
  /** Sum of NumberOfFrames over `instances` (every frame they hold, all planes). */
  frameCount: number;
  /** (0002,0010) when the metadata has it, else AvailableTransferSyntaxUID (0008,3002), else ''. */
  transferSyntaxUid: string;
  /** Shared Pixel Measures PixelSpacing: [row spacing, column spacing] in mm. */
  pixelSpacingMm?: [number, number];
  /** Sorted by frame offset (concatenations), then instance number. */
  instances: Instance[];
  /**
   * The tile holding pixel (x = column, y = row; 0-based pixels of this level's total pixel
   * matrix). `undefined` outside the image, or where a sparse level has no tile. Addresses the
   * first optical path and focal plane when the level has several.
   */
  frameAt(x: number, y: number): { instance: Instance; frameNumber: number } | undefined;
}

export interface Slide {
  /** VOLUME levels, index 0 = largest (the base level). Empty when the series has none. */
  levels: Level[];
  /** LABEL, OVERVIEW and THUMBNAIL images, in that order. */
  ancillary: Level[];
  /** The series URL as used (normalised, no trailing slash). */
  seriesUrl: string;
}

export type HeadersOption = HeadersProvider;

export interface OpenSlideOptions {
  /** Request headers, or a function called with the request URL that returns them. */
  headers?: HeadersOption;
  /** @default globalThis.fetch, read when openSlide is called */
  fetch?: FetchLike;
  /** Idle timeout in ms: no byte for this long aborts with 'timeout'. Integer 1..2^31-1. @default 30000 */
  requestTimeoutMs?: number;
  /** Retries of 429/500/502/503/504, network errors and cut-short answers (backoff as FrameCache). @default 3 */
  maxRetries?: number;
  /** Aborting rejects with `signal.reason`. */
  signal?: AbortSignal;
  logger?: Logger;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(['headers', 'fetch', 'requestTimeoutMs', 'maxRetries', 'signal', 'logger']);
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const noop = (): void => {};
const SILENT: Logger = { debug: noop, info: noop, warn: noop, error: noop };

interface ResolvedOptions {
  headers: HeadersOption | undefined;
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
 * failure, a non-2xx answer with its `status`, a failing headers function, or a body that is
 * not a JSON array of datasets: "malformed metadata"), 'timeout'. An abort rejects with
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

function resolveOptions(opts: OpenSlideOptions | undefined): ResolvedOptions {
  if (opts === undefined) opts = {};
  if (!isPlainObject(opts)) throw invalidOption('options', 'an object', opts);
  for (const key of Object.keys(opts)) {
    if (!OPTION_KEYS.has(key)) throw invalidOption(key, `one of ${[...OPTION_KEYS].join(', ')}`, key);
  }
  const { headers, fetch, requestTimeoutMs = 30000, maxRetries = 3, signal, logger } = opts;
  if (headers !== undefined && typeof headers !== 'function' && !isPlainObject(headers)) {
    throw invalidOption('headers', 'an object or a function', headers);
  }
  if (fetch !== undefined && typeof fetch !== 'function') throw invalidOption('fetch', 'a function', fetch);
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1 || requestTimeoutMs > MAX_TIMEOUT_MS) {
    throw invalidOption('requestTimeoutMs', `an integer from 1 to ${MAX_TIMEOUT_MS}`, requestTimeoutMs);
  }
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw invalidOption('maxRetries', 'an integer >= 0', maxRetries);
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.addEventListener !== 'function')) {
    throw invalidOption('signal', 'an AbortSignal', signal);
  }
  if (logger !== undefined && !['debug', 'info', 'warn', 'error'].every((m) => typeof (logger as unknown as Record<string, unknown>)[m] === 'function')) {
    throw invalidOption('logger', 'an object with debug, info, warn and error functions', logger);
  }
  return {
    headers,
    // Read lazily, at call time, so a fetch installed after import is used.
    fetch: fetch ?? ((url, init) => globalThis.fetch(url, init) as unknown as Promise<ResponseLike>),
    requestTimeoutMs,
    maxRetries,
    signal,
    logger: logger ?? SILENT,
  };
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

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
    { signal, onRetry: (attempt, reason) => options.logger.warn('openSlide: metadata request retried', { url, attempt, reason }) },
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

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
import type { HeadersProvider, InstanceRef } from '../core/types.js';
import { FrameCacheError, describeValue, invalidOption } from '../errors.js';
import { isDataset, type DicomJsonDataset } from './dicom-json.js';
import { buildLevels } from './slide-levels.js';
import { parseWsiInstance, type WsiImageFlavor, type WsiInstanceInfo } from './wsi-instance.js';

export type { WsiImageFlavor } from './wsi-instance.js';

export type { InstanceRef };

export interface Instance extends InstanceRef {
  sopInstanceUid: string;
  /** 0-based: ConcatenationFrameOffsetNumber, 0 when absent. */
  frameOffset: number;
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
  /** Aborting rejects with `signal.reason`. */
  signal?: AbortSignal;
  logger?: Logger;
}

const OPTION_KEYS: ReadonlySet<string> = new Set(['headers', 'fetch', 'requestTimeoutMs', 'signal', 'logger']);
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const noop = (): void => {};
const SILENT: Logger = { debug: noop, info: noop, warn: noop, error: noop };

interface ResolvedOptions {
  headers: HeadersOption | undefined;
  fetch: FetchLike;
  requestTimeoutMs: number;
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
  const { headers, fetch, requestTimeoutMs = 30000, signal, logger } = opts;
  if (headers !== undefined && typeof headers !== 'function' && !isPlainObject(headers)) {
    throw invalidOption('headers', 'an object or a function', headers);
  }
  if (fetch !== undefined && typeof fetch !== 'function') throw invalidOption('fetch', 'a function', fetch);
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1 || requestTimeoutMs > MAX_TIMEOUT_MS) {
    throw invalidOption('requestTimeoutMs', `an integer from 1 to ${MAX_TIMEOUT_MS}`, requestTimeoutMs);
  }
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

async function resolveHeaders(headers: HeadersOption | undefined, url: string): Promise<Record<string, string>> {
  let value: unknown = headers;
  if (typeof headers === 'function') {
    try {
      value = await headers(url);
    } catch (error) {
      throw new FrameCacheError('http', `GET ${url}: the headers function failed`, { cause: error });
    }
  }
  if (value === undefined) value = {};
  if (!isPlainObject(value)) throw invalidOption('headers', 'an object of header names to values', value);
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(value)) {
    // DICOM JSON is what we parse: the caller's headers cannot change the Accept.
    if (name.toLowerCase() !== 'accept') out[name] = String(text);
  }
  out['Accept'] = 'application/dicom+json';
  return out;
}

/** GET the URL and parse its JSON, with an idle timeout and the caller's signal. */
async function fetchMetadata(url: string, options: ResolvedOptions): Promise<unknown> {
  const { signal, requestTimeoutMs } = options;
  if (signal?.aborted) throw signal.reason;
  const controller = new AbortController();
  let failed = false;
  let failure: unknown;
  let rejectStop: (reason: unknown) => void = noop;
  // Settles only by rejecting: raced against every await so a fetch that ignores its
  // signal cannot hang us.
  const stop = new Promise<never>((_, reject) => (rejectStop = reject));
  stop.catch(noop);
  const fail = (reason: unknown): void => {
    if (failed) return;
    failed = true;
    failure = reason;
    rejectStop(reason);
    controller.abort(reason);
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(
      () => fail(new FrameCacheError('timeout', `GET ${url}: no answer for ${requestTimeoutMs} ms`)),
      requestTimeoutMs,
    );
  };
  const onAbort = (): void => fail(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let response: ResponseLike | undefined;
  try {
    arm();
    const headers = await Promise.race([resolveHeaders(options.headers, url), stop]);
    try {
      response = await Promise.race([options.fetch(url, { method: 'GET', headers, signal: controller.signal }), stop]);
    } catch (error) {
      if (failed) throw failure;
      throw new FrameCacheError('http', `GET ${url}: ${error instanceof Error ? error.message : describeValue(error)}`, {
        cause: error,
      });
    }
    if (!response.ok) {
      throw new FrameCacheError('http', `GET ${url}: HTTP ${response.status} ${response.statusText}`.trimEnd(), {
        status: response.status,
      });
    }
    const bytes = await Promise.race([readBody(response, arm), stop]);
    try {
      return JSON.parse(new TextDecoder('utf-8').decode(bytes)) as unknown;
    } catch (error) {
      throw new FrameCacheError('http', `GET ${url}: malformed metadata (not JSON)`, { cause: error });
    }
  } catch (error) {
    if (failed) throw failure;
    if (error instanceof FrameCacheError) throw error;
    throw new FrameCacheError('http', `GET ${url}: ${error instanceof Error ? error.message : describeValue(error)}`, {
      cause: error,
    });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    // Release the connection when the body was not read to its end.
    if (failed || (response !== undefined && !response.ok)) cancelBody(response);
  }
}

async function readBody(response: ResponseLike, onProgress: () => void): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value === undefined || value.byteLength === 0) continue;
    onProgress();
    chunks.push(value);
    length += value.byteLength;
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

function cancelBody(response: ResponseLike | undefined): void {
  try {
    response?.body?.getReader().cancel().catch(noop);
  } catch {
    // Already locked or consumed: the abort signal ends it.
  }
}

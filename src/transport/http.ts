/**
 * One logical HTTP request with its retries: headers from the app's provider per attempt,
 * an idle timeout (no byte for requestTimeoutMs aborts the attempt), a low-speed limit (a body
 * bringing fewer than MIN_BODY_BYTES_PER_SECOND, over a window of requestTimeoutMs, aborts it:
 * a server that trickles a byte within every timeout would otherwise hold the request for
 * ever; docs/reliability.md, "Known limits"), retries of 429, 500,
 * 502, 503, 504, network errors, timeouts and cut-short bodies with capped exponential
 * backoff and jitter, honouring Retry-After. Header values are never logged or kept.
 */
import { FrameCacheError } from '../shared/errors.js';
import { raceAbort } from '../shared/race-abort.js';
import { isPlainObject } from '../core/validate.js';
import type { FetchLike, RequestInitLike, ResponseLike, Timers } from '../core/ports.js';
import type { HttpCacheMode } from '../core/types.js';
import type { HeadersProvider } from '../core/types.js';

export const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);
const BACKOFF_BASE_MS = 250;
const BACKOFF_CAP_MS = 10_000;
const RETRY_AFTER_CAP_MS = 30_000;
/**
 * The slowest body taken for progress, averaged over each window of requestTimeoutMs from the
 * first body read (curl's --speed-limit): 1 KiB/s, below any link a viewer runs on (a 3G
 * connection brings ~50 KB/s), so only a stalled or trickling server reaches it.
 */
export const MIN_BODY_BYTES_PER_SECOND = 1024;

export interface HttpSettings {
  /** @default globalThis.fetch, read per request */
  fetch: FetchLike | undefined;
  /** Called per attempt; never stored or logged. */
  headers: HeadersProvider | undefined;
  timers: Timers;
  /**
   * Idle timeout: no byte for this long aborts the attempt (then retried); also the window of
   * the low-speed limit (MIN_BODY_BYTES_PER_SECOND).
   */
  requestTimeoutMs: number;
  /** Retries of 429/5xx, network errors, timeouts and cut-short answers. */
  maxRetries: number;
  /** Uniform [0, 1) for jitter; injectable for tests. */
  random?: () => number;
  /** Wall-clock milliseconds, for HTTP-date Retry-After values. */
  wallClock?: () => number;
  /**
   * The fetch `cache` mode. Unset, no mode is sent: the browser's HTTP cache (and any proxy)
   * may answer where the server's headers allow it (docs/http-caching.md).
   */
  cache?: HttpCacheMode | undefined;
}

export { HTTP_CACHE_MODES, type HttpCacheMode } from '../core/types.js';

export interface AttemptHooks {
  signal: AbortSignal;
  onRetry?: ((attempt: number, reason: string) => void) | undefined;
  onBytes?: ((byteCount: number) => void) | undefined;
  onTimeout?: (() => void) | undefined;
}

/** What an attempt sees: the response, a body reader that feeds the idle timer, and its signal. */
export interface Attempt {
  readonly number: number;
  readonly response: ResponseLike;
  readonly signal: AbortSignal;
  /** Reads the body chunk by chunk, resetting the idle timer and counting bytes. */
  chunks(): AsyncGenerator<Uint8Array>;
}

/** Decides, per attempt, the URL and Accept header; consumes the body; says whether to go on. */
export interface AttemptPlan<T> {
  /** The request for this attempt, or undefined when nothing is left to ask for. */
  next(attempt: number): { url: string; accept: string } | undefined;
  /** Reads a 2xx answer. Throwing a retryable error (or returning 'retry') asks for another attempt. */
  consume(attempt: Attempt): Promise<T | 'retry'>;
  /** A non-2xx answer that is not retryable: return a fallback Accept to try once more, or undefined. */
  onRefused?(status: number, accept: string): string | undefined;
}

export function delayFor(attempt: number, random: () => number): number {
  const exp = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  // "Equal jitter": half fixed, half random, so a herd spreads out yet always waits.
  return Math.round(exp / 2 + random() * (exp / 2));
}

export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Math.min(RETRY_AFTER_CAP_MS, Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.min(RETRY_AFTER_CAP_MS, date - nowMs));
}

/** The caller's headers with our Accept (whatever case they wrote theirs in). */
function withAccept(headers: Record<string, string>, accept: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'accept') out[name] = value;
  out['Accept'] = accept;
  return out;
}

function sleep(ms: number, timers: Timers, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timers.clearTimeout(handle);
      reject(signal.reason);
    };
    const handle = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The headers for a request to `url`. A static record is checked and returned as it is, without
 * a promise, so a request with static headers (or none) leaves in the task that asked for it (a
 * view's requests before the engine plans the blocks behind them, docs/worker-cost.md); a
 * function's answer comes as a promise.
 */
export function resolveHeaders(
  provider: Extract<HeadersProvider, (url: string) => unknown>,
  url: string,
): Promise<Record<string, string>>;
export function resolveHeaders(
  provider: HeadersProvider | undefined,
  url: string,
): Record<string, string> | Promise<Record<string, string>>;
export function resolveHeaders(
  provider: HeadersProvider | undefined,
  url: string,
): Record<string, string> | Promise<Record<string, string>> {
  if (provider === undefined) return {};
  if (typeof provider !== 'function') return recordOfStrings(provider, url);
  return (async () => {
    let headers: unknown;
    try {
      headers = await provider(url);
    } catch (error) {
      throw new FrameCacheError('headers', `The headers function threw for ${url}`, { cause: error });
    }
    return recordOfStrings(headers, url);
  })();
}

function recordOfStrings(headers: unknown, url: string): Record<string, string> {
  // A plain record only: a Headers object or a Map has no own values, and its credential would
  // silently not be sent (README: "a record of strings").
  if (!isPlainObject(headers) || !Object.values(headers).every((v) => typeof v === 'string')) {
    throw new FrameCacheError(
      'headers',
      `The headers function returned something other than a record of strings for ${url}`,
    );
  }
  return headers as Record<string, string>;
}

/**
 * `message` without the app's header values: Node's fetch quotes an invalid header value in its
 * error, which would reach logs and the caller's error (non-negotiable: never log credentials).
 */
function redact<T extends string | undefined>(message: T, secrets: readonly string[]): T {
  if (message === undefined) return message;
  let out: string = message;
  for (const secret of secrets) out = out.split(secret).join('[header value]');
  return out as T;
}

/**
 * Errors that came from the network (fetch rejecting, a body read failing): retryable. Any
 * other error that is not a FrameCacheError is a bug of ours and is rethrown as is, never
 * retried or turned into an 'http' error (docs/testing.md, "No laundered errors").
 */
const networkFailures = new WeakSet<object>();

/** Runs a network call; what it throws is marked as a network failure. */
async function network<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const marked = typeof error === 'object' && error !== null ? error : new Error(String(error));
    networkFailures.add(marked);
    throw marked;
  }
}

function isNetworkFailure(error: unknown): error is Error {
  return error instanceof Error && networkFailures.has(error);
}

/** Why an error is worth another attempt, or undefined when it is not. */
function retryReason(error: unknown, timedOut: boolean): string | undefined {
  if (timedOut) return 'timeout';
  if (error instanceof FrameCacheError) {
    if (error.code === 'http')
      return error.status !== undefined && RETRYABLE_STATUS.has(error.status) ? `http ${error.status}` : undefined;
    if (error.code === 'multipart' || error.code === 'part10') return `${error.code}: ${error.message}`;
    return undefined;
  }
  // fetch rejects with TypeError on network failure; a body cut short errors the reader.
  if (isNetworkFailure(error)) return `network: ${error.message}`;
  return undefined;
}

function statusError(response: ResponseLike, url: string): FrameCacheError {
  return new FrameCacheError('http', `HTTP ${response.status} ${response.statusText} for ${url}`.trim(), {
    status: response.status,
  });
}

function getFetch(settings: HttpSettings): FetchLike {
  if (settings.fetch) return settings.fetch;
  const global = (globalThis as { fetch?: FetchLike }).fetch;
  if (typeof global !== 'function')
    throw new FrameCacheError('invalid-option', 'No `fetch` given and none on globalThis');
  return global.bind(globalThis) as FetchLike;
}

/**
 * Runs attempts until the plan is satisfied, a non-retryable error occurs, or maxRetries is
 * spent. Rejects with FrameCacheError ('http' | 'multipart' | 'part10' | 'timeout'), or
 * with `signal.reason` when the caller aborted.
 */
export async function runWithRetries<T>(settings: HttpSettings, hooks: AttemptHooks, plan: AttemptPlan<T>): Promise<T> {
  const fetch = getFetch(settings);
  const random = settings.random ?? Math.random;
  const { signal } = hooks;
  let retries = 0;
  let fallbackUsed = false;
  let acceptOverride: string | undefined;
  for (let attemptNumber = 0; ; attemptNumber++) {
    signal.throwIfAborted();
    const target = plan.next(attemptNumber);
    if (target === undefined) return undefined as T;
    const accept = acceptOverride ?? target.accept;
    const controller = new AbortController();
    const onOuterAbort = (): void => controller.abort(signal.reason);
    signal.addEventListener('abort', onOuterAbort, { once: true });
    /** Why the attempt timed out (idle, or too slow), or undefined. */
    let timeoutMessage: string | undefined;
    const timeOut = (message: string): void => {
      if (timeoutMessage !== undefined) return; // the other timer of the same stall
      timeoutMessage = message;
      hooks.onTimeout?.();
      controller.abort(new FrameCacheError('timeout', message));
    };
    const windowMs = settings.requestTimeoutMs;
    let idle: unknown;
    const armIdle = (): void => {
      settings.timers.clearTimeout(idle);
      idle = settings.timers.setTimeout(() => timeOut(`No byte for ${windowMs} ms from ${target.url}`), windowMs);
    };
    // The low-speed limit: one timer per window, started by the first body read.
    const minWindowBytes = Math.ceil((MIN_BODY_BYTES_PER_SECOND * windowMs) / 1000);
    let windowBytes = 0;
    let slow: unknown;
    const armWindow = (): void => {
      windowBytes = 0;
      slow = settings.timers.setTimeout(() => {
        if (windowBytes >= minWindowBytes) armWindow();
        else timeOut(`Fewer than ${minWindowBytes} bytes in ${windowMs} ms from ${target.url}`);
      }, windowMs);
    };
    const onProgress = (byteCount: number): void => {
      windowBytes += byteCount;
      armIdle();
    };
    let retryAfterMs: number | undefined;
    let result: T | 'retry';
    /** The app's header values of this attempt: never in a message (fetch's own may quote them). */
    let secrets: readonly string[] = [];
    try {
      armIdle();
      // Awaited only when a function makes them: static headers leave in this task (resolveHeaders).
      const resolved = resolveHeaders(settings.headers, target.url);
      const appHeaders = resolved instanceof Promise ? await raceAbort(resolved, controller.signal) : resolved;
      secrets = Object.values(appHeaders).filter((value) => value.length > 0);
      const headers = withAccept(appHeaders, accept);
      // Raced against the signal: a fetch that ignores it must not hang the call.
      const init: RequestInitLike & { cache?: HttpCacheMode } = { method: 'GET', headers, signal: controller.signal };
      if (settings.cache !== undefined) init.cache = settings.cache;
      const response = await raceAbort(
        network(() => fetch(target.url, init)),
        controller.signal,
      );
      if (!response.ok) {
        await cancelBody(response);
        const fallback =
          !fallbackUsed && !RETRYABLE_STATUS.has(response.status)
            ? plan.onRefused?.(response.status, accept)
            : undefined;
        if (fallback !== undefined) {
          fallbackUsed = true;
          acceptOverride = fallback;
          attemptNumber--; // a negotiation step, not a retry
          continue;
        }
        retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), (settings.wallClock ?? Date.now)());
        throw statusError(response, target.url);
      }
      const attempt: Attempt = {
        number: attemptNumber,
        response,
        signal: controller.signal,
        chunks: () => {
          if (slow === undefined) armWindow();
          return readChunks(response, controller.signal, onProgress, hooks.onBytes);
        },
      };
      result = await plan.consume(attempt);
    } catch (error) {
      // The attempt is over: its timers must not fire during the backoff below (a timeout counted
      // for an attempt that failed otherwise).
      settings.timers.clearTimeout(idle);
      settings.timers.clearTimeout(slow);
      if (signal.aborted) throw signal.reason;
      const reason = redact(retryReason(error, timeoutMessage !== undefined), secrets);
      if (reason === undefined || retries >= settings.maxRetries) {
        if (timeoutMessage !== undefined) throw new FrameCacheError('timeout', timeoutMessage, { cause: error });
        if (!isNetworkFailure(error)) throw error; // a FrameCacheError, or a bug to be seen
        throw new FrameCacheError(
          'http',
          `Request to ${target.url} failed: ${redact(error instanceof Error ? error.message : String(error), secrets)}`,
          { cause: error },
        );
      }
      result = 'retry';
      retries++;
      hooks.onRetry?.(retries, reason);
      await sleep(retryAfterMs ?? delayFor(retries - 1, random), settings.timers, signal);
      continue;
    } finally {
      settings.timers.clearTimeout(idle);
      settings.timers.clearTimeout(slow);
      signal.removeEventListener('abort', onOuterAbort);
    }
    if (result !== 'retry') return result;
    if (retries >= settings.maxRetries) {
      throw new FrameCacheError(
        'multipart',
        `The answer from ${target.url} stayed incomplete after ${retries} retries`,
      );
    }
    retries++;
    hooks.onRetry?.(retries, 'incomplete answer');
    await sleep(delayFor(retries - 1, random), settings.timers, signal);
  }
}

async function cancelBody(response: ResponseLike): Promise<void> {
  try {
    await response.body?.getReader().cancel();
  } catch {
    // The body is of no use; a failure to discard it changes nothing.
  }
}

async function* readChunks(
  response: ResponseLike,
  signal: AbortSignal,
  onProgress: (byteCount: number) => void,
  onBytes: ((count: number) => void) | undefined,
): AsyncGenerator<Uint8Array> {
  if (response.body === null) {
    const bytes = new Uint8Array(
      await raceAbort(
        network(() => response.arrayBuffer()),
        signal,
      ),
    );
    onBytes?.(bytes.byteLength);
    yield bytes;
    return;
  }
  const reader = response.body.getReader();
  const onAbort = (): void => {
    reader.cancel(signal.reason).catch(() => undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  try {
    if (signal.aborted) throw signal.reason;
    for (;;) {
      const { done, value } = await raceAbort(
        network(() => reader.read()),
        signal,
      );
      if (signal.aborted) throw signal.reason;
      if (done) {
        finished = true;
        return;
      }
      if (value === undefined || value.byteLength === 0) continue;
      onProgress(value.byteLength);
      onBytes?.(value.byteLength);
      yield value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    // Left early (a parse error, an abort): cancel, so the connection is not kept reading.
    if (finished) reader.releaseLock();
    else reader.cancel(signal.aborted ? signal.reason : undefined).catch(() => undefined);
  }
}

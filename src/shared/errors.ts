/**
 * The one error class of this module. Every failure a caller can see is a
 * `FrameCacheError` with a stable `code`; `status` carries the HTTP status for 'http'.
 *
 * - `'invalid-option'`: an option or argument breaks its rule (the message names it and the value).
 * - `'invalid-frame-number'`: a frame number outside 1..frameCount (or not an integer).
 * - `'http'`: a network failure or a non-2xx answer (`status` set), after the retries.
 * - `'headers'`: the `headers` function threw or returned something other than a record of
 *   strings (`cause`: what it threw). Not retried.
 * - `'multipart'`, `'part10'`: an answer that cannot be parsed (after the retries).
 * - `'timeout'`: no byte arrived for `requestTimeoutMs`, or the body brought under 1 KiB a second
 *   over it (the low-speed limit), after the retries.
 * - `'worker-crashed'`: the worker died, did not start, or failed in a way it could not report.
 * - `'closed'`: the cache was closed before or during the call.
 */
export type FrameCacheErrorCode =
  | 'invalid-option'
  | 'invalid-frame-number'
  | 'http'
  | 'headers'
  | 'multipart'
  | 'part10'
  | 'timeout'
  | 'worker-crashed'
  | 'closed'
  | 'unsupported-syntax'
  | 'decode';

const CODES: ReadonlySet<string> = new Set<FrameCacheErrorCode>([
  'invalid-option',
  'invalid-frame-number',
  'http',
  'headers',
  'multipart',
  'part10',
  'timeout',
  'worker-crashed',
  'closed',
  'unsupported-syntax',
  'decode',
]);

export interface FrameCacheErrorOptions {
  status?: number;
  cause?: unknown;
}

/** Every error a caller of this module sees (an abort rejects with the caller's own `signal.reason`). */
export class FrameCacheError extends Error {
  /** What went wrong, stable across versions: see FrameCacheErrorCode. */
  readonly code: FrameCacheErrorCode;
  /** The HTTP status, for code 'http' when the server answered. */
  readonly status?: number;

  constructor(code: FrameCacheErrorCode, message: string, options: FrameCacheErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FrameCacheError';
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
  }
}

/** The error of a call on a closed cache (engine, facade and worker connection alike). */
export function closedError(): FrameCacheError {
  return new FrameCacheError('closed', 'The frame cache was closed');
}

/** True when `value` is a FrameCacheError (with `code`, when given). */
export function isFrameCacheError(value: unknown, code?: FrameCacheErrorCode): value is FrameCacheError {
  return value instanceof FrameCacheError && (code === undefined || value.code === code);
}

/** Describes a value for validation messages: `0` (number), `'5'` (string). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `\`${JSON.stringify(value)}\` (string)`;
  if (typeof value === 'function') return '`[function]` (function)';
  if (value === null) return '`null`';
  if (typeof value === 'object') {
    let text: string;
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
    if (text.length > 80) text = `${text.slice(0, 77)}...`;
    return `\`${text}\` (${Array.isArray(value) ? 'array' : 'object'})`;
  }
  return `\`${String(value)}\` (${typeof value})`;
}

/** ``Expected `name` to be <rule>, got `value` (type)`` — one template for every check. */
export function invalidOption(name: string, rule: string, value: unknown): FrameCacheError {
  return new FrameCacheError('invalid-option', `Expected \`${name}\` to be ${rule}, got ${describeValue(value)}`);
}

/** The shape an error takes across a worker boundary (structured-clone safe). */
export interface SerializedError {
  name: string;
  message: string;
  code?: FrameCacheErrorCode;
  status?: number;
  stack?: string;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof FrameCacheError) {
    const out: SerializedError = { name: error.name, message: error.message, code: error.code };
    if (error.status !== undefined) out.status = error.status;
    if (error.stack !== undefined) out.stack = error.stack;
    return out;
  }
  if (error instanceof Error) {
    const out: SerializedError = { name: error.name, message: error.message };
    if (error.stack !== undefined) out.stack = error.stack;
    return out;
  }
  return { name: 'Error', message: String(error) };
}

/**
 * The page-side error of a worker failure: always a FrameCacheError. An error without one of
 * our codes (a DOMException, a bug) becomes 'worker-crashed' with the original as `cause`.
 */
export function deserializeError(data: SerializedError): FrameCacheError {
  if (data.code !== undefined && CODES.has(data.code)) {
    const error = new FrameCacheError(
      data.code,
      data.message,
      data.status === undefined ? {} : { status: data.status },
    );
    if (data.stack !== undefined) error.stack = data.stack;
    return error;
  }
  const cause = new Error(data.message);
  cause.name = data.name;
  if (data.stack !== undefined) cause.stack = data.stack;
  return new FrameCacheError('worker-crashed', `The frame cache worker failed: ${data.name}: ${data.message}`, {
    cause,
  });
}

/**
 * The one error class of this module. Every failure a caller can see is a
 * `FrameCacheError` with a stable `code`; `status` carries the HTTP status for 'http'.
 */
export type FrameCacheErrorCode =
  | 'invalid-option'
  | 'invalid-frame-number'
  | 'http'
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

export class FrameCacheError extends Error {
  readonly code: FrameCacheErrorCode;
  readonly status?: number;

  constructor(code: FrameCacheErrorCode, message: string, options: FrameCacheErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FrameCacheError';
    this.code = code;
    if (options.status !== undefined) this.status = options.status;
  }
}

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

export function deserializeError(data: SerializedError): Error {
  if (data.code !== undefined && CODES.has(data.code)) {
    const error = new FrameCacheError(data.code, data.message, data.status === undefined ? {} : { status: data.status });
    if (data.stack !== undefined) error.stack = data.stack;
    return error;
  }
  const error = new Error(data.message);
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}

/**
 * Writes multipart/related bodies for tests: well-formed ones like Orthanc's, and broken ones
 * (LF-only lines, missing close delimiter, missing blank line) for negative tests.
 */

export interface BuilderPart {
  /** Header lines in order; `[name, value]` pairs or a record. Default: none. */
  headers?: Record<string, string> | [string, string][];
  body: Uint8Array | string;
  /** Leave out the empty line after this part's headers (malformed). */
  omitBlankLine?: boolean;
}

export interface MultipartBuildOptions {
  boundary?: string;
  /** Bytes before the first delimiter; a CRLF is written between them and the delimiter. */
  preamble?: Uint8Array | string;
  /** Bytes after the close delimiter (after its CRLF). */
  epilogue?: Uint8Array | string;
  /** Write CRLF before the first delimiter even without a preamble. Default false. */
  leadingCrlf?: boolean;
  /** Transport padding (spaces/tabs) written after every boundary. Default ''. */
  padding?: string;
  /** Line ending of delimiter lines and the CRLF before each delimiter. Default '\r\n'. */
  lineEnding?: '\r\n' | '\n';
  /** Line ending of header lines and of the empty line after them. Default: `lineEnding`. */
  headerLineEnding?: '\r\n' | '\n';
  /** Write the close delimiter `--boundary--`. Default true. */
  close?: boolean;
  /** Write a line ending after the close delimiter. Default true (Orthanc does). */
  closeLineEnding?: boolean;
}

export const DEFAULT_BOUNDARY = 'frame-cache-test-boundary';
/** As captured from Orthanc 1.10.1 + DICOMweb 1.7: a UUID, '-', and a cut second UUID (70 chars). */
export const ORTHANC_LIKE_BOUNDARY = 'b2c6f399-f8f5-4714-bf5f-754333439ce3-56551ddd-7eed-454b-a584-d8a44a967';

const encoder = new TextEncoder();

export function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

/** Concatenates byte arrays (and strings, UTF-8 encoded) into one new buffer. */
export function concatBytes(pieces: (Uint8Array | string)[]): Uint8Array {
  const arrays = pieces.map(toBytes);
  const out = new Uint8Array(arrays.reduce((sum, bytes) => sum + bytes.length, 0));
  let at = 0;
  for (const bytes of arrays) {
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

export function buildMultipart(parts: BuilderPart[], options: MultipartBuildOptions = {}): Uint8Array {
  const boundary = options.boundary ?? DEFAULT_BOUNDARY;
  const eol = options.lineEnding ?? '\r\n';
  const headerEol = options.headerLineEnding ?? eol;
  const padding = options.padding ?? '';
  const pieces: (Uint8Array | string)[] = [];
  if (options.preamble !== undefined) pieces.push(toBytes(options.preamble), eol);
  else if (options.leadingCrlf === true) pieces.push(eol);
  parts.forEach((part, index) => {
    if (index > 0) pieces.push(eol);
    pieces.push(`--${boundary}${padding}${eol}`);
    const headers = Array.isArray(part.headers) ? part.headers : Object.entries(part.headers ?? {});
    for (const [name, value] of headers) pieces.push(`${name}: ${value}${headerEol}`);
    if (part.omitBlankLine !== true) pieces.push(headerEol);
    pieces.push(toBytes(part.body));
  });
  if (options.close !== false) {
    if (parts.length > 0) pieces.push(eol);
    pieces.push(`--${boundary}--${padding}`);
    if (options.closeLineEnding !== false) pieces.push(eol);
  }
  if (options.epilogue !== undefined) pieces.push(toBytes(options.epilogue));
  return concatBytes(pieces);
}

/** `multipart/related; type="…"; boundary=…`, quoting the boundary when asked. */
export function multipartContentType(
  boundary: string = DEFAULT_BOUNDARY,
  { type = 'application/octet-stream', quoteBoundary = false } = {},
): string {
  const value = quoteBoundary ? `"${boundary}"` : boundary;
  return `multipart/related; type="${type}"; boundary=${value}`;
}

/** The Content-Type header Orthanc 1.10 + DICOMweb 1.7 sends for JPEG baseline frames. */
export function orthancContentType(boundary: string = ORTHANC_LIKE_BOUNDARY): string {
  return `multipart/related; type="image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50"; boundary=${boundary}`;
}

/**
 * The part headers Orthanc 1.10.1 + DICOMweb 1.7 writes for a JPEG baseline frame, in its order
 * (captured from a real answer; the body starts with `--boundary`, no preamble, and ends with
 * `--boundary--` CRLF).
 */
export function orthancFrameHeaders(instanceUrl: string, frameNumber: number, length: number): [string, string][] {
  return [
    ['Content-Location', `${instanceUrl}/frames/${frameNumber}`],
    ['Content-Type', 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50'],
    ['Content-Length', String(length)],
    ['MIME-Version', '1.0'],
  ];
}

/** A 200 frames answer as Orthanc writes it (boundary 'srv'), each frame `frameOf(n)`. */
export function orthancFramesResponse(
  instanceUrl: string,
  numbers: readonly number[],
  frameOf: (n: number) => Uint8Array,
): Response {
  const body = buildMultipart(
    numbers.map((n) => ({ headers: orthancFrameHeaders(instanceUrl, n, frameOf(n).byteLength), body: frameOf(n) })),
    { boundary: 'srv' },
  );
  return new Response(body as Uint8Array<ArrayBuffer>, {
    status: 200,
    headers: { 'content-type': orthancContentType('srv') },
  });
}

/** Deterministic pseudo-random bytes (xorshift32) that look like compressed pixel data. */
export function noiseBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = state & 0xff;
  }
  return out;
}

/** One parser event; consecutive data events of a part are merged so chunkings compare equal. */
export type RecordedEvent =
  | { type: 'start'; index: number; headers: Record<string, string> }
  | { type: 'data'; index: number; bytes: number[] }
  | { type: 'end'; index: number }
  | { type: 'part'; index: number; headers: Record<string, string>; body: number[] };

export interface EventRecorder {
  events: Required<{
    onPartStart(headers: Record<string, string>, index: number): void;
    onPartData(bytes: Uint8Array, index: number): void;
    onPartEnd(index: number): void;
    onPart(part: { headers: Record<string, string>; body: Uint8Array }, index: number): void;
  }>;
  log: RecordedEvent[];
  /** Every view given to onPartData and every onPart body, as received. */
  dataViews: Uint8Array[];
  partBodies: Uint8Array[];
}

export function createEventRecorder(): EventRecorder {
  const log: RecordedEvent[] = [];
  const dataViews: Uint8Array[] = [];
  const partBodies: Uint8Array[] = [];
  return {
    log,
    dataViews,
    partBodies,
    events: {
      onPartStart(headers, index) {
        log.push({ type: 'start', index, headers });
      },
      onPartData(bytes, index) {
        dataViews.push(bytes);
        const last = log[log.length - 1];
        if (last?.type === 'data' && last.index === index) last.bytes.push(...bytes);
        else log.push({ type: 'data', index, bytes: [...bytes] });
      },
      onPartEnd(index) {
        log.push({ type: 'end', index });
      },
      onPart(part, index) {
        partBodies.push(part.body);
        log.push({ type: 'part', index, headers: part.headers, body: [...part.body] });
      },
    },
  };
}

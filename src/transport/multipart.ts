/**
 * multipart/related bodies of DICOMweb answers: the one-shot parser (public API). The streaming
 * state machine the transport uses lives in multipart-stream.ts.
 */
import { boundaryOf } from './content-type.js';
import { MultipartStreamParser } from './multipart-stream.js';
import type { MultipartPart } from './multipart-types.js';

export { MultipartStreamParser, MAX_HEADER_BYTES } from './multipart-stream.js';
export type { MultipartEvents, MultipartPart } from './multipart-types.js';

/**
 * Splits a whole multipart/related body into its parts. Each body is a view of `body` (no
 * copy): copy what you keep if you let go of the rest. Preamble and epilogue are ignored.
 *
 * @param contentType the answer's Content-Type, e.g.
 *   `multipart/related; type="application/octet-stream"; boundary=abc`
 * @throws FrameCacheError 'multipart' when the boundary is missing or the body is malformed or
 *   truncated (the message says what and at which byte).
 */
export function parseMultipartRelated(contentType: string, body: Uint8Array): MultipartPart[] {
  const parts: MultipartPart[] = [];
  const parser = new MultipartStreamParser(boundaryOf(contentType), {
    onPart(part) {
      parts.push(part);
    },
  });
  parser.push(body);
  parser.end();
  return parts;
}

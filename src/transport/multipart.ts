/**
 * multipart/related bodies of DICOMweb answers: the one-shot parser (public API) and the
 * streaming reader the transport uses. The state machine lives in multipart-stream.ts.
 */
import type { ByteStream } from '../core/ports.js';
import { boundaryOf } from './content-type.js';
import { MultipartStreamParser } from './multipart-stream.js';
import type { MultipartEvents, MultipartPart } from './multipart-types.js';

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

/**
 * Reads `stream` to its end through a MultipartStreamParser, firing `events` as parts arrive.
 * An error from the parser or from an event handler cancels the reader (with that error as
 * the reason) and is rethrown; a read error propagates unchanged. A Content-Type without a
 * usable boundary cancels the stream unread.
 */
export async function readMultipartStream(
  contentType: string,
  stream: ByteStream,
  events: MultipartEvents,
): Promise<void> {
  const reader = stream.getReader();
  try {
    let parser: MultipartStreamParser;
    try {
      parser = new MultipartStreamParser(boundaryOf(contentType), events);
    } catch (error) {
      await cancelQuietly(reader, error);
      throw error;
    }
    for (;;) {
      const { done, value } = await reader.read();
      try {
        if (done) {
          parser.end();
          return;
        }
        if (value !== undefined && value.length > 0) parser.push(value);
      } catch (error) {
        await cancelQuietly(reader, error);
        throw error;
      }
    }
  } finally {
    try {
      reader.releaseLock();
    } catch {
      // A reader with a read still pending cannot be released; nothing else to do.
    }
  }
}

async function cancelQuietly(reader: { cancel(reason?: unknown): Promise<void> }, reason: unknown): Promise<void> {
  try {
    await reader.cancel(reason);
  } catch {
    // The parse error is what the caller needs; a failing cancel adds nothing.
  }
}

/**
 * The DICOMweb FrameSource: WADO-RS frame lists and whole instances, parsed while the body
 * streams in, every part verified on its own before the engine sees it (docs/design.md,
 * "Verified, never partial"). One logical request per call; its retries ask only for the
 * frames not yet delivered.
 */
import { FrameCacheError } from '../shared/errors.js';
import type { FrameCallback, FrameSource, SourceRequestOptions } from '../core/ports.js';
import { parseMediaType } from './content-type.js';
import { concatBytes } from '../shared/bytes.js';
import { runWithRetries, type Attempt, type HttpSettings } from './http.js';
import { MultipartStreamParser } from './multipart.js';
import { Part10StreamReader } from '../part10/part10-stream.js';

export const FRAMES_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
export const INSTANCE_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';
export const INSTANCE_ACCEPT_SINGLE_PART = 'application/dicom; transfer-syntax=*';

/** Longest frames URL sent; a longer list is split over several HTTP requests. */
export const MAX_URL_LENGTH = 8000;

/** The transport's settings: fetch, headers, timers, idle timeout and retries, and the Service Worker's hooks. */
export interface DicomwebSourceSettings extends HttpSettings {
  /** Accept of frame-list requests (the Service Worker sends the viewer's own). @default FRAMES_ACCEPT */
  framesAccept?: string | undefined;
  /**
   * Sees the headers (names lower-cased) of each verified frame part and the answer's
   * Content-Type, just before the frame is delivered (the Service Worker rebuilds answers from them).
   */
  onFramePart?:
    | ((instanceUrl: string, frameNumber: number, partHeaders: Record<string, string>, answerType: string) => void)
    | undefined;
}

function framesUrl(instanceUrl: string, frameNumbers: readonly number[]): string {
  return `${instanceUrl.replace(/\/+$/, '')}/frames/${frameNumbers.join(',')}`;
}

/** The frame number a Content-Location names, if it ends in /frames/N. */
function frameOfLocation(location: string): number | undefined {
  const match = /\/frames\/(\d+)\/?$/.exec(location);
  return match ? Number(match[1]) : undefined;
}

/** The longest prefix of `frames` whose URL stays within MAX_URL_LENGTH (at least one frame). */
function takeForUrl(instanceUrl: string, frames: readonly number[]): number[] {
  let length = instanceUrl.length + '/frames/'.length;
  let count = 0;
  for (const n of frames) {
    const add = String(n).length + (count > 0 ? 1 : 0);
    if (count > 0 && length + add > MAX_URL_LENGTH) break;
    length += add;
    count++;
  }
  return frames.slice(0, count);
}

/** The FrameSource the engine uses by default; inject your own (or a wrapped one) as the `source` port. */
export class DicomwebSource implements FrameSource {
  readonly #settings: DicomwebSourceSettings;

  constructor(settings: DicomwebSourceSettings) {
    this.#settings = settings;
  }

  async fetchFrames(
    instanceUrl: string,
    frameNumbers: number[],
    onFrame: FrameCallback,
    opts: SourceRequestOptions,
  ): Promise<void> {
    const remaining = new Set(frameNumbers);
    const deliver = (n: number, bytes: Uint8Array): void => {
      if (!remaining.delete(n)) return;
      onFrame(n, bytes);
    };
    // A list too long for one URL becomes consecutive requests, each with its own retries.
    while (remaining.size > 0) {
      const batch = takeForUrl(instanceUrl, [...remaining]);
      await this.#fetchFrameList(instanceUrl, batch, deliver, opts);
      if (batch.every((n) => remaining.has(n))) break; // nothing of it came: the plan gave up
    }
  }

  async fetchInstance(
    instanceUrl: string,
    onFrame: FrameCallback,
    opts: SourceRequestOptions,
  ): Promise<{ frameCount: number }> {
    const delivered = new Set<number>();
    let frameCount: number | undefined;
    const deliver = (n: number, bytes: Uint8Array): void => {
      if (delivered.has(n) || (frameCount !== undefined && n > frameCount)) return;
      delivered.add(n);
      onFrame(n, bytes);
    };
    const url = instanceUrl.replace(/\/+$/, '');
    await runWithRetries(this.#settings, opts, {
      next: () => {
        if (frameCount !== undefined && delivered.size >= frameCount) return undefined;
        return { url, accept: INSTANCE_ACCEPT };
      },
      onRefused: (status, accept) =>
        // Servers that refuse the multipart form may serve the single-part one (and vice versa).
        (status === 400 || status === 406 || status === 415) && accept === INSTANCE_ACCEPT
          ? INSTANCE_ACCEPT_SINGLE_PART
          : undefined,
      consume: async (attempt) => {
        const info = await readInstanceAnswer(attempt, url, deliver);
        frameCount = info.frameCount;
        return info.frameCount;
      },
    });
    return { frameCount: frameCount ?? delivered.size };
  }

  async #fetchFrameList(
    instanceUrl: string,
    frameNumbers: number[],
    deliver: FrameCallback,
    opts: SourceRequestOptions,
  ): Promise<void> {
    const delivered = new Set<number>();
    let asked: number[] = frameNumbers;
    await runWithRetries(this.#settings, opts, {
      next: () => {
        asked = frameNumbers.filter((n) => !delivered.has(n));
        return asked.length === 0
          ? undefined
          : { url: framesUrl(instanceUrl, asked), accept: this.#settings.framesAccept ?? FRAMES_ACCEPT };
      },
      consume: async (attempt) => {
        const onPart = this.#settings.onFramePart;
        await readFramesAnswer(
          attempt,
          asked,
          (n, bytes) => {
            delivered.add(n);
            deliver(n, bytes);
          },
          onPart && ((n, headers, answerType) => onPart(instanceUrl, n, headers, answerType)),
        );
        // Parts missing or rejected: ask again for just those.
        return asked.every((n) => delivered.has(n)) ? undefined : 'retry';
      },
    });
  }
}

/**
 * Whether a body or part of this media type can be a frame's pixel data (PS3.18 8.7.3: bulk
 * data as application/octet-stream, compressed frames as image/* or video/*); no type at all
 * is taken as the server's silence, not a refusal.
 */
function isPixelDataType(contentType: string): boolean {
  return PIXEL_DATA_TYPE.test(contentType);
}

/** A Content-Type value (parameters and all) of pixel data, or empty: tested per part, so no parse. */
const PIXEL_DATA_TYPE = /^\s*(?:$|;|application\/octet-stream\s*(?:$|;)|image\/|video\/)/i;

/**
 * Reads a frames answer, verifying each part before handing it on: its position matches the
 * requested list, its Content-Location (when present) names that frame, its Content-Length
 * (when present) is its length, it is not empty.
 * A part that fails is discarded (and logged by the caller through the missing frames).
 */
async function readFramesAnswer(
  attempt: Attempt,
  asked: readonly number[],
  deliver: FrameCallback,
  onPart?: (frameNumber: number, headers: Record<string, string>, answerType: string) => void,
): Promise<void> {
  const contentType = attempt.response.headers.get('content-type') ?? '';
  const media = parseMediaType(contentType);
  if (media.type !== 'multipart/related') {
    // A single frame may come as a bare body of pixel data; anything else (a Part 10 file, JSON,
    // XML, an HTML error page) is not a frames answer.
    if (asked.length !== 1 || !isPixelDataType(contentType)) {
      throw new FrameCacheError('multipart', `Expected a multipart/related answer, got '${contentType}'`);
    }
    const body = await collect(attempt);
    if (body.byteLength > 0) deliver(asked[0]!, body);
    return;
  }
  let partHeaders: Record<string, string> = {};
  // A part without Content-Location has only its position to say which frame it is, and one
  // missing part shifts every later one: such parts are handed on only once the answer is
  // complete with exactly one part per frame asked for.
  const unlocated: [number, Uint8Array, Record<string, string>][] = [];
  const parser = new MultipartStreamParser(media.params['boundary'] ?? '', {
    onPartStart(headers) {
      partHeaders = headers;
    },
    // Never held whole: a part past the frames asked for, one typed as something else than
    // pixel data (a Part 10 file), or one longer than its Content-Length.
    keepLimit(headers, index) {
      if (index >= asked.length) return 0;
      const type = headers['content-type'];
      if (type !== undefined && !isPixelDataType(type)) return 0;
      const length = headers['content-length'];
      return length === undefined ? Infinity : Number(length);
    },
    onPart(part, index) {
      const expected = asked[index];
      if (expected === undefined || part.body.byteLength === 0) return;
      // A part whose Content-Length is not its length was cut or padded on the way (found by
      // the engine fuzz, docs/testing.md): not the frame the server meant.
      const length = partHeaders['content-length'];
      if (length !== undefined && length !== String(part.body.byteLength)) return;
      const location = partHeaders['content-location'];
      if (location === undefined) unlocated.push([expected, part.body, partHeaders]);
      else if (frameOfLocation(location) === expected) {
        onPart?.(expected, partHeaders, contentType);
        deliver(expected, part.body);
      }
    },
  });
  await pushUntilClosed(attempt, parser);
  parser.end();
  if (parser.partCount === asked.length) {
    for (const [n, bytes, headers] of unlocated) {
      onPart?.(n, headers, contentType);
      deliver(n, bytes);
    }
  }
}

/** Bytes after the close delimiter read on to the body's end (servers send at most a CRLF). */
const MAX_EPILOGUE_BYTES = 1024;

/**
 * Pushes the answer's chunks into `parser`. After the close delimiter the body is read on to its
 * end, so that the browser's and proxies' caches see a complete answer (a body cancelled before
 * its end is not kept), but no further than MAX_EPILOGUE_BYTES: an epilogue that never ends must
 * not hold the request open. What fails after the close delimiter (a stall, a cut) loses nothing.
 */
async function pushUntilClosed(attempt: Attempt, parser: MultipartStreamParser): Promise<void> {
  let epilogue = 0;
  try {
    for await (const chunk of attempt.chunks()) {
      if (!parser.closed) parser.push(chunk);
      else if ((epilogue += chunk.byteLength) > MAX_EPILOGUE_BYTES) return;
    }
  } catch (error) {
    if (!parser.closed) throw error;
  }
}

/** Reads a whole-instance answer: multipart with the Part 10 file as its first part, or a bare Part 10 body. */
async function readInstanceAnswer(
  attempt: Attempt,
  url: string,
  deliver: FrameCallback,
): Promise<{ frameCount: number }> {
  const contentType = attempt.response.headers.get('content-type') ?? '';
  const media = parseMediaType(contentType);
  const reader = new Part10StreamReader(deliver);
  if (media.type === 'multipart/related') {
    const parser = new MultipartStreamParser(media.params['boundary'] ?? '', {
      onPartData(bytes, index) {
        if (index === 0) reader.push(bytes);
      },
    });
    await pushUntilClosed(attempt, parser);
    parser.end();
    if (parser.partCount === 0) throw new FrameCacheError('multipart', `The instance answer from ${url} has no part`);
  } else if (media.type === 'application/dicom' || media.type === 'application/octet-stream' || media.type === '') {
    for await (const chunk of attempt.chunks()) reader.push(chunk);
  } else {
    throw new FrameCacheError('part10', `Expected application/dicom from ${url}, got '${contentType}'`);
  }
  const info = reader.end();
  return { frameCount: info.frameCount };
}

async function collect(attempt: Attempt): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of attempt.chunks()) chunks.push(chunk);
  return concatBytes(chunks);
}

/**
 * Incremental multipart/related parser (RFC 2046 §5.1.1, PS3.18 §8.7.4), the hot path of the
 * DICOMweb transport. Chunks of any size go in; part bodies come out as views of those chunks.
 *
 * - A delimiter is CRLF "--" boundary; the first one may open the body without the CRLF.
 *   Boundary text not preceded by CRLF is data.
 * - After the boundary: transport padding (spaces, tabs) then CRLF (a bare LF is tolerated),
 *   or "--" for the close delimiter. Anything else there is an error: RFC 2046 forbids a body
 *   line that starts with the delimiter.
 * - Part headers end at the first empty line; header lines may end in CRLF or bare LF.
 * - Preamble and epilogue are ignored. A part is ended (onPartEnd, onPart) only once the
 *   delimiter line after it is complete, so a truncated answer never yields a cut part.
 *
 * Linear time however the body is chunked: a Boyer-Moore-Horspool search inside a chunk, and
 * across a chunk join only the bytes that could still be a delimiter (< delimiter length) are
 * held back and compared once.
 *
 * A part's `Content-Length` never decides where it ends: only the delimiter does, so the parts
 * are the same however the body is chunked (docs/worker-cost.md, "The multipart parser in a
 * fresh worker", says why a length-framed end was taken back).
 */
import { FrameCacheError } from '../shared/errors.js';
import { concatBytes } from '../shared/bytes.js';
import { checkBoundary, parseHeaderBlock } from './content-type.js';
import type { MultipartEvents } from './multipart-types.js';

/** A header block longer than this is taken as a part without the blank line after its headers. */
export const MAX_HEADER_BYTES = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const DASH = 0x2d;
const SPACE = 0x20;
const TAB = 0x09;

type State = 'preamble' | 'delimiter' | 'headers' | 'body' | 'closed';
/** Where the parser is inside the rest of a delimiter line. */
type LineStep = 'start' | 'dash' | 'padding' | 'cr';

const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

export class MultipartStreamParser {
  readonly #boundary: string;
  readonly #events: MultipartEvents;
  /** CR LF '-' '-' boundary. */
  readonly #delimiter: Uint8Array;
  /** Horspool shift per byte value. */
  readonly #shift: Int32Array;
  readonly #collect: boolean;

  #state: State = 'preamble';
  #lineStep: LineStep = 'start';
  /** Bytes of all chunks before the current one: error messages give absolute offsets. */
  #offset = 0;
  /** Delimiter bytes matched at the end of earlier chunks (2 at start: the optional leading CRLF). */
  #matched = 2;
  /** Views of body bytes held back because they may begin a delimiter. */
  #held: Uint8Array[] = [];

  /** Parts opened (delimiter line seen) and parts ended (body complete). */
  #partsOpened = 0;
  #partCount = 0;
  /** Index of the part whose body is being read or awaits its delimiter line; -1 before the first. */
  #partIndex = -1;
  #headers: Record<string, string> = {};
  #pieces: Uint8Array[] = [];
  /** What the current part may keep (events.keepLimit), what it holds, and whether it passed. */
  #keepLimit = Infinity;
  #kept = 0;
  #dropped = false;
  #partStartOffset = 0;

  #headerBuffer = new Uint8Array(256);
  #headerLength = 0;
  /** Bytes of the current header line so far, and whether its last byte was CR. */
  #lineLength = 0;
  #lastWasCr = false;

  /** The chunk being pushed: an empty part's body is an empty view of it. */
  #chunk: Uint8Array = EMPTY;
  #ended = false;
  #failure: unknown = undefined;

  constructor(boundary: string, events: MultipartEvents) {
    checkBoundary(boundary);
    this.#boundary = boundary;
    this.#events = events;
    this.#collect = events.onPart !== undefined;
    const length = boundary.length + 4;
    const delimiter = new Uint8Array(length);
    delimiter[0] = CR;
    delimiter[1] = LF;
    delimiter[2] = DASH;
    delimiter[3] = DASH;
    for (let i = 0; i < boundary.length; i++) delimiter[i + 4] = boundary.charCodeAt(i);
    this.#delimiter = delimiter;
    const shift = new Int32Array(256).fill(length);
    for (let i = 0; i < length - 1; i++) shift[delimiter[i]!] = length - 1 - i;
    this.#shift = shift;
  }

  /** Parts ended so far: each had onPartEnd (and onPart) called. */
  get partCount(): number {
    return this.#partCount;
  }

  /** The close delimiter was seen; later bytes are the epilogue, ignored. */
  get closed(): boolean {
    return this.#state === 'closed';
  }

  push(chunk: Uint8Array): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#ended) throw this.#fail('push() called after end()', this.#offset);
    try {
      this.#pushChunk(chunk);
    } catch (error) {
      this.#failure = error;
      throw error;
    } finally {
      this.#chunk = EMPTY;
    }
    this.#offset += chunk.length;
  }

  /** Throws FrameCacheError 'multipart' unless the close delimiter was seen. */
  end(): void {
    if (this.#failure !== undefined) throw this.#failure;
    this.#ended = true;
    const at = this.#offset;
    const part = `part ${this.#partIndex + 1}`;
    switch (this.#state) {
      case 'closed':
        return;
      case 'preamble':
        throw this.#fail(`no delimiter "--${this.#boundary}" found in the ${at} bytes received`, at);
      case 'headers':
        throw this.#fail(`body ended inside the headers of ${part}`, at);
      case 'body':
        throw this.#fail(
          `body ended inside ${part} (started at byte ${this.#partStartOffset}) before its delimiter`,
          at,
        );
      case 'delimiter':
        throw this.#fail(`body ended inside a delimiter line after ${part}`, at);
    }
  }

  #fail(what: string, at: number): FrameCacheError {
    const error = new FrameCacheError('multipart', `Malformed multipart body: ${what} (at byte ${at})`);
    this.#failure = error;
    return error;
  }

  #pushChunk(chunk: Uint8Array): void {
    this.#chunk = chunk;
    const length = chunk.length;
    let pos = 0;
    while (pos < length) {
      switch (this.#state) {
        case 'preamble':
          pos = this.#scan(chunk, pos, false);
          break;
        case 'body':
          pos = this.#scan(chunk, pos, true);
          break;
        case 'delimiter':
          pos = this.#readDelimiterLine(chunk, pos);
          break;
        case 'headers':
          pos = this.#readHeaders(chunk, pos);
          break;
        case 'closed':
          return;
      }
    }
  }

  /**
   * Looks for the delimiter from `pos`. Returns the position after it (state becomes
   * 'delimiter') or the chunk length. In the body (`emit`), bytes before a delimiter go out as
   * data; a chunk tail that may begin a delimiter is held back until the next chunk decides.
   */
  #scan(chunk: Uint8Array, pos: number, emit: boolean): number {
    const delimiter = this.#delimiter;
    const delimiterLength = delimiter.length;
    const length = chunk.length;
    if (this.#matched > 0) {
      const matched = this.#matched;
      const limit = Math.min(delimiterLength - matched, length - pos);
      let k = 0;
      while (k < limit && chunk[pos + k] === delimiter[matched + k]) k++;
      if (matched + k === delimiterLength) {
        this.#held.length = 0;
        this.#matched = 0;
        this.#state = 'delimiter';
        return pos + k;
      }
      if (k === limit) {
        if (emit) this.#held.push(chunk.subarray(pos, pos + k));
        this.#matched = matched + k;
        return length;
      }
      // Not a delimiter after all: the held bytes are data. They hold a single CR (delimiter[0]),
      // so no delimiter starts inside them, and scanning goes on in this chunk.
      this.#matched = 0;
      if (emit) {
        for (const view of this.#held) this.#data(view);
        this.#held.length = 0;
      }
    }
    const found = this.#indexOfDelimiter(chunk, pos);
    if (found >= 0) {
      if (emit && found > pos) this.#data(chunk.subarray(pos, found));
      this.#state = 'delimiter';
      return found + delimiterLength;
    }
    const tail = this.#tailMatch(chunk, pos);
    if (emit && tail > pos) this.#data(chunk.subarray(pos, tail));
    if (tail < length) {
      if (emit) this.#held.push(chunk.subarray(tail));
      this.#matched = length - tail;
    }
    return length;
  }

  /** Boyer-Moore-Horspool: start of the first whole delimiter in chunk[from..], or -1. */
  #indexOfDelimiter(chunk: Uint8Array, from: number): number {
    const delimiter = this.#delimiter;
    const shift = this.#shift;
    const last = delimiter.length - 1;
    const lastByte = delimiter[last]!;
    const length = chunk.length;
    let i = from + last;
    while (i < length) {
      const byte = chunk[i]!;
      if (byte === lastByte) {
        const start = i - last;
        let j = 0;
        while (j < last && chunk[start + j] === delimiter[j]) j++;
        if (j === last) return start;
      }
      i += shift[byte]!;
    }
    return -1;
  }

  /**
   * Start of the chunk suffix (after `from`) that is a proper prefix of the delimiter, or the
   * chunk length. The delimiter holds CR only at its first byte, so only the last CR counts.
   */
  #tailMatch(chunk: Uint8Array, from: number): number {
    const delimiter = this.#delimiter;
    const length = chunk.length;
    const stop = Math.max(from, length - delimiter.length + 1);
    let start = length - 1;
    while (start >= stop && chunk[start] !== CR) start--;
    if (start < stop) return length;
    for (let j = 1; start + j < length; j++) {
      if (chunk[start + j] !== delimiter[j]) return length;
    }
    return start;
  }

  /** After a boundary: "--" closes; else optional padding, then CRLF (or LF) opens a part. */
  #readDelimiterLine(chunk: Uint8Array, pos: number): number {
    const length = chunk.length;
    while (pos < length) {
      const byte = chunk[pos]!;
      const step = this.#lineStep;
      if (step === 'dash') {
        if (byte !== DASH) throw this.#unexpected(byte, pos);
        this.#endPart();
        this.#state = 'closed';
        return length;
      }
      if (step === 'cr') {
        if (byte !== LF) throw this.#unexpected(byte, pos);
        return this.#openPart(pos + 1);
      }
      // 'start' or 'padding'
      if (byte === SPACE || byte === TAB) this.#lineStep = 'padding';
      else if (byte === CR) this.#lineStep = 'cr';
      else if (byte === LF) return this.#openPart(pos + 1);
      else if (byte === DASH && step === 'start') this.#lineStep = 'dash';
      else throw this.#unexpected(byte, pos);
      pos++;
    }
    return pos;
  }

  #unexpected(byte: number, pos: number): FrameCacheError {
    return this.#fail(
      `byte 0x${byte.toString(16).padStart(2, '0')} after boundary "--${this.#boundary}" (expected "--", padding or CRLF)`,
      this.#offset + pos,
    );
  }

  #openPart(pos: number): number {
    this.#endPart();
    this.#lineStep = 'start';
    this.#state = 'headers';
    this.#partIndex = this.#partsOpened;
    this.#partsOpened++;
    this.#headerLength = 0;
    this.#lineLength = 0;
    this.#lastWasCr = false;
    return pos;
  }

  /** Ends the part before the delimiter line just completed, if any. */
  #endPart(): void {
    const index = this.#partIndex;
    if (index < 0) return;
    this.#partCount++;
    const events = this.#events;
    events.onPartEnd?.(index);
    if (this.#collect) {
      if (this.#dropped) return;
      const body = joinViews(this.#pieces, this.#chunk);
      this.#pieces = [];
      events.onPart!({ headers: this.#headers, body }, index);
    }
  }

  /** Finds the empty line that ends the header block; parses the block once it is whole. */
  #readHeaders(chunk: Uint8Array, pos: number): number {
    const length = chunk.length;
    let lineLength = this.#lineLength;
    let lastWasCr = this.#lastWasCr;
    let end = -1;
    // Line by line with the native search for LF: a byte loop here was most of a fresh
    // worker's parse (docs/worker-cost.md, "The multipart parser in a fresh worker").
    let i = pos;
    while (i < length) {
      const lf = chunk.indexOf(LF, i);
      if (lf < 0) {
        lineLength += length - i;
        lastWasCr = chunk[length - 1] === CR;
        break;
      }
      const lineBytes = lineLength + lf - i;
      const crBeforeLf = lf > i ? chunk[lf - 1] === CR : lastWasCr;
      if (lineBytes === 0 || (lineBytes === 1 && crBeforeLf)) {
        lineLength = lineBytes;
        lastWasCr = crBeforeLf;
        end = lf + 1;
        break;
      }
      lineLength = 0;
      lastWasCr = false;
      i = lf + 1;
    }
    const stop = end < 0 ? length : end;
    const blockLength = this.#headerLength + stop - pos;
    if (blockLength > MAX_HEADER_BYTES) {
      throw this.#fail(
        `no empty line within ${MAX_HEADER_BYTES} bytes of headers of part ${this.#partIndex + 1}`,
        this.#offset + stop,
      );
    }
    if (end < 0) {
      this.#appendHeaderBytes(chunk.subarray(pos, stop));
      this.#lineLength = lineLength;
      this.#lastWasCr = lastWasCr;
      return length;
    }
    let block: Uint8Array;
    if (this.#headerLength === 0) {
      block = chunk.subarray(pos, stop);
    } else {
      this.#appendHeaderBytes(chunk.subarray(pos, stop));
      block = this.#headerBuffer.subarray(0, this.#headerLength);
    }
    const { headers, badLine } = parseHeaderBlock(decoder.decode(block));
    if (badLine !== undefined) {
      const part = `part ${this.#partIndex + 1}`;
      const shown = JSON.stringify(badLine.length > 60 ? `${badLine.slice(0, 57)}...` : badLine);
      throw this.#fail(
        badLine.startsWith(`--${this.#boundary}`)
          ? `${part} has no empty line after its headers`
          : `${part} has a header line without a name (${shown}); is the empty line after its headers missing?`,
        this.#offset + end,
      );
    }
    this.#headers = headers;
    this.#state = 'body';
    // RFC 2046: a part may be headers only, with the delimiter's CRLF as the empty line, so a
    // body that opens with "--boundary" right after a CRLF empty line is the next delimiter.
    this.#matched = lineLength === 1 && lastWasCr ? 2 : 0;
    this.#partStartOffset = this.#offset + end;
    this.#events.onPartStart?.(this.#headers, this.#partIndex);
    if (this.#collect) {
      this.#keepLimit = this.#events.keepLimit?.(this.#headers, this.#partIndex) ?? Infinity;
      this.#kept = 0;
      this.#dropped = false;
    }
    return end;
  }

  #appendHeaderBytes(bytes: Uint8Array): void {
    const needed = this.#headerLength + bytes.length;
    if (needed > this.#headerBuffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#headerBuffer.length * 2));
      grown.set(this.#headerBuffer.subarray(0, this.#headerLength));
      this.#headerBuffer = grown;
    }
    this.#headerBuffer.set(bytes, this.#headerLength);
    this.#headerLength = needed;
  }

  #data(view: Uint8Array): void {
    this.#events.onPartData?.(view, this.#partIndex);
    if (!this.#collect || this.#dropped) return;
    this.#kept += view.length;
    if (this.#kept > this.#keepLimit) {
      this.#dropped = true;
      this.#pieces = [];
      return;
    }
    pushView(this.#pieces, view);
  }
}

/** Appends `view`, merging it into the last one when it continues it in the same buffer. */
function pushView(pieces: Uint8Array[], view: Uint8Array): void {
  const last = pieces[pieces.length - 1];
  if (last !== undefined && last.buffer === view.buffer && last.byteOffset + last.byteLength === view.byteOffset) {
    pieces[pieces.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.byteLength + view.byteLength);
  } else {
    pieces.push(view);
  }
}

function joinViews(pieces: Uint8Array[], current: Uint8Array): Uint8Array {
  if (pieces.length === 0) return current.subarray(0, 0);
  return concatBytes(pieces);
}

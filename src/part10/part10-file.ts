/**
 * The file layer of the Part 10 reader: preamble and "DICM" (or a file that starts directly
 * with the File Meta Information), the meta group in explicit VR little endian, then the
 * dataset handed to a DatasetReader — through raw inflate for the deflated transfer syntax.
 */

import { Inflate, inflateSync } from 'fflate';
import { FrameCacheError } from '../shared/errors.js';
import { ByteQueue, joinPieces } from './part10-byte-queue.js';
import { DatasetReader, decodeText, type DatasetAttributes } from './part10-dataset.js';
import type { EmitFrame } from './part10-encapsulated.js';
import { describeTransferSyntax, formatTag, hasLongLength, isUpperCaseLetter } from '../shared/transfer-syntax.js';

/** What the File Meta Information and the dataset say about the frames. */
export interface Part10Info {
  transferSyntaxUid: string;
  /** NumberOfFrames as written: missing counts as 1, < 1 or unparsable as 0. */
  numberOfFrames: number;
  rows?: number;
  columns?: number;
  sopInstanceUid?: string;
}

/** 'stream': fflate's streaming Inflate as bytes arrive; 'whole': inflateSync once at end(). */
export type InflateMode = 'stream' | 'whole';

type State = 'start' | 'meta-header' | 'meta-skip' | 'meta-value' | 'dataset' | 'ended' | 'failed';

const PREAMBLE_AND_PREFIX = 132;
const TRANSFER_SYNTAX_UID = 0x00020010;
const UNDEFINED_LENGTH = 0xffffffff;
const MAX_UID_LENGTH = 1024;

export class Part10FileParser {
  readonly #onFrame: EmitFrame;
  readonly #inflateMode: InflateMode;
  readonly #queue = new ByteQueue();
  #state: State = 'start';
  /** File offset of the queue's first byte (until the dataset starts). */
  #pos = 0;
  #tag = 0;
  #tagStart = 0;
  #left = 0;
  #valueLength = 0;
  #pieces: Uint8Array[] = [];
  #transferSyntaxUid: string | undefined;
  #dataset: DatasetReader | undefined;
  #inflater: Inflate | undefined;
  #deferDeflated = false;
  #inflated: Uint8Array[] = [];
  #deferred: Uint8Array[] = [];
  #deferredLength = 0;
  #info: Part10Info | undefined;
  #frameCount = 0;
  #failure: unknown;

  constructor(onFrame: EmitFrame, inflateMode: InflateMode) {
    this.#onFrame = onFrame;
    this.#inflateMode = inflateMode;
  }

  get info(): Part10Info | undefined {
    return this.#info;
  }

  push(chunk: Uint8Array): void {
    this.#guard(() => {
      if (!(chunk instanceof Uint8Array)) {
        throw new FrameCacheError('part10', `Expected a Uint8Array chunk, got ${typeof chunk}`);
      }
      if (this.#state === 'dataset') this.#route(chunk);
      else {
        this.#queue.push(chunk);
        this.#runHeader(false);
      }
    });
  }

  end(): Part10Info & { frameCount: number } {
    return this.#guard(() => {
      if (this.#state !== 'dataset') this.#runHeader(true);
      if (this.#state !== 'dataset') {
        throw new FrameCacheError(
          'part10',
          `Part 10 data ends early at offset ${this.#pos + this.#queue.available}: ${this.#pendingHeader()}`,
        );
      }
      const dataset = this.#dataset!;
      if (this.#inflateMode === 'stream' && this.#inflater !== undefined) {
        this.#inflate(() => this.#inflater!.push(new Uint8Array(0), true));
        this.#feedInflated();
      } else if (this.#inflateMode === 'whole' && this.#deferred.length > 0) {
        const deflated = joinPieces(this.#deferred, this.#deferredLength);
        this.#deferred = [];
        let inflated: Uint8Array | undefined;
        this.#inflate(() => {
          inflated = inflateSync(deflated);
        });
        dataset.push(inflated!);
      }
      dataset.end();
      this.#state = 'ended';
      this.#setInfo(dataset.attributes);
      return { ...this.#info!, frameCount: this.#frameCount };
    });
  }

  #guard<T>(body: () => T): T {
    if (this.#state === 'failed') throw this.#failure;
    if (this.#state === 'ended') throw new FrameCacheError('part10', 'The Part 10 reader has already ended');
    try {
      return body();
    } catch (error) {
      // Only format errors become FrameCacheError('part10'); a TypeError, RangeError or any
      // other error is a bug of the reader (or of the frame callback) and is rethrown as is, so
      // the fuzzer and the caller see it (docs/testing.md, "No laundered errors").
      this.#state = 'failed';
      this.#failure = error;
      throw error;
    }
  }

  #runHeader(final: boolean): void {
    const queue = this.#queue;
    for (;;) {
      switch (this.#state) {
        case 'start':
          if (!this.#readStart(final)) return;
          break;
        case 'meta-header':
          if (!this.#readMetaHeader(final)) return;
          break;
        case 'meta-skip': {
          const count = Math.min(this.#left, queue.available);
          queue.skip(count);
          this.#pos += count;
          this.#left -= count;
          if (this.#left > 0) return;
          this.#state = 'meta-header';
          break;
        }
        case 'meta-value':
          while (this.#left > 0) {
            if (queue.available === 0) return;
            const piece = queue.take(this.#left);
            this.#pieces.push(piece);
            this.#left -= piece.byteLength;
            this.#pos += piece.byteLength;
          }
          this.#transferSyntaxUid = decodeText(joinPieces(this.#pieces, this.#valueLength));
          this.#pieces = [];
          this.#state = 'meta-header';
          break;
        default:
          return;
      }
    }
  }

  #readStart(final: boolean): boolean {
    const queue = this.#queue;
    if (queue.available < PREAMBLE_AND_PREFIX && !final) return false;
    const head = queue.copyFront(Math.min(PREAMBLE_AND_PREFIX, queue.available));
    if (head.byteLength === PREAMBLE_AND_PREFIX && decodeText(head.subarray(128)) === 'DICM') {
      queue.skip(PREAMBLE_AND_PREFIX);
      this.#pos = PREAMBLE_AND_PREFIX;
    } else if (!(
      head.byteLength >= 6 &&
      head[0] === 0x02 &&
      head[1] === 0x00 &&
      isUpperCaseLetter(head[4]!) &&
      isUpperCaseLetter(head[5]!)
    )) {
      throw new FrameCacheError(
        'part10',
        'Not DICOM Part 10 data: no "DICM" at offset 128 and no File Meta Information at offset 0',
      );
    }
    this.#state = 'meta-header';
    return true;
  }

  #readMetaHeader(final: boolean): boolean {
    const queue = this.#queue;
    if (!queue.peek(8)) {
      if (!final) return false;
      if (queue.peek(2) && queue.peekBytes[queue.peekAt] === 0x02 && queue.peekBytes[queue.peekAt + 1] === 0x00) {
        throw new FrameCacheError(
          'part10',
          `Part 10 data ends early at offset ${this.#pos}: truncated File Meta Information element header`,
        );
      }
      this.#startDataset();
      return true;
    }
    let b = queue.peekBytes;
    let i = queue.peekAt;
    if (b[i] !== 0x02 || b[i + 1] !== 0x00) {
      this.#startDataset();
      return true;
    }
    const tag = 0x00020000 | b[i + 2]! | (b[i + 3]! << 8);
    const v0 = b[i + 4]!;
    const v1 = b[i + 5]!;
    if (!isUpperCaseLetter(v0) || !isUpperCaseLetter(v1)) {
      throw new FrameCacheError(
        'part10',
        `Malformed File Meta Information: element ${formatTag(tag)} at offset ${this.#pos} has no explicit VR`,
      );
    }
    let length: number;
    let headerLength = 8;
    if (hasLongLength((v0 << 8) | v1)) {
      if (!queue.peek(12)) {
        if (!final) return false;
        throw new FrameCacheError(
          'part10',
          `Part 10 data ends early at offset ${this.#pos}: truncated File Meta Information element header`,
        );
      }
      b = queue.peekBytes;
      i = queue.peekAt;
      length = (b[i + 8]! | (b[i + 9]! << 8) | (b[i + 10]! << 16) | (b[i + 11]! << 24)) >>> 0;
      headerLength = 12;
    } else {
      length = b[i + 6]! | (b[i + 7]! << 8);
    }
    if (length === UNDEFINED_LENGTH || (tag === TRANSFER_SYNTAX_UID && length > MAX_UID_LENGTH)) {
      throw new FrameCacheError(
        'part10',
        `Malformed File Meta Information: element ${formatTag(tag)} at offset ${this.#pos} has length ${length}`,
      );
    }
    this.#tag = tag;
    this.#tagStart = this.#pos;
    this.#valueLength = length;
    this.#left = length;
    queue.skip(headerLength);
    this.#pos += headerLength;
    this.#pieces = [];
    this.#state = tag === TRANSFER_SYNTAX_UID ? 'meta-value' : 'meta-skip';
    return true;
  }

  #pendingHeader(): string {
    if (this.#state === 'start') return 'not enough bytes for a Part 10 header';
    return `File Meta Information element ${formatTag(this.#tag)} at offset ${this.#tagStart} (length ${this.#valueLength}) is longer than the data`;
  }

  #startDataset(): void {
    const uid = this.#transferSyntaxUid;
    if (uid === undefined || uid === '') {
      throw new FrameCacheError(
        'part10',
        `The File Meta Information (ending at offset ${this.#pos}) has no Transfer Syntax UID (0002,0010)`,
      );
    }
    const encoding = describeTransferSyntax(uid);
    this.#dataset = new DatasetReader({
      explicitVr: encoding.explicitVr,
      littleEndian: encoding.littleEndian,
      encapsulated: encoding.encapsulated,
      baseOffset: encoding.deflated ? 0 : this.#pos,
      offsetName: encoding.deflated ? 'inflated dataset offset' : 'offset',
      onPixelData: (attributes) => this.#setInfo(attributes),
      onFrame: (frameNumber, bytes) => {
        this.#frameCount += 1;
        this.#onFrame(frameNumber, bytes);
      },
    });
    this.#deferDeflated = encoding.deflated && this.#inflateMode === 'whole';
    if (encoding.deflated && this.#inflateMode === 'stream') {
      this.#inflater = new Inflate((data) => {
        if (data.byteLength > 0) this.#inflated.push(data);
      });
    }
    this.#state = 'dataset';
    for (const chunk of this.#queue.drain()) this.#route(chunk);
  }

  #route(chunk: Uint8Array): void {
    if (this.#inflater !== undefined) {
      this.#inflate(() => this.#inflater!.push(chunk));
      this.#feedInflated();
    } else if (this.#deferDeflated) {
      this.#deferred.push(chunk);
      this.#deferredLength += chunk.byteLength;
    } else {
      this.#dataset!.push(chunk);
    }
  }

  #inflate(body: () => void): void {
    try {
      body();
    } catch (error) {
      // fflate's own errors carry a numeric code: those are corrupt data; anything else is a bug.
      if (!(error instanceof Error && typeof (error as { code?: unknown }).code === 'number')) throw error;
      throw new FrameCacheError('part10', `Deflated dataset cannot be inflated: ${error.message}`, { cause: error });
    }
  }

  #feedInflated(): void {
    const chunks = this.#inflated;
    this.#inflated = [];
    for (const chunk of chunks) this.#dataset!.push(chunk);
  }

  #setInfo(attributes: DatasetAttributes): void {
    if (this.#info !== undefined) return;
    const info: Part10Info = { transferSyntaxUid: this.#transferSyntaxUid!, numberOfFrames: attributes.numberOfFrames };
    if (attributes.rows !== undefined) info.rows = attributes.rows;
    if (attributes.columns !== undefined) info.columns = attributes.columns;
    if (attributes.sopInstanceUid !== undefined) info.sopInstanceUid = attributes.sopInstanceUid;
    this.#info = info;
  }
}

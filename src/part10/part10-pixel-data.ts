/**
 * Reads the value of the top-level PixelData from a ByteQueue, emitting frames as their bytes
 * complete: native pixel data in NumberOfFrames equal parts, encapsulated pixel data as items
 * (Basic Offset Table, fragments, sequence delimiter) handed to a FrameAssembler.
 */

import { FrameCacheError } from '../shared/errors.js';
import { joinPieces, type ByteQueue } from './part10-byte-queue.js';
import { FrameAssembler, type EmitFrame } from './part10-encapsulated.js';
import { formatTag } from '../shared/transfer-syntax.js';

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
const SEQUENCE_DELIMITER = 0xfffee0dd;

export interface PixelDataOptions {
  encapsulated: boolean;
  /** The PixelData element's length (0xFFFFFFFF: undefined). */
  length: number;
  numberOfFrames: number;
  /** Extended Offset Table (7FE0,0001) and its lengths (7FE0,0002), when both were present. */
  extended: { offsets: Uint8Array; lengths: Uint8Array } | undefined;
  onFrame: EmitFrame;
  /** 'offset 1234' for a dataset position: messages. */
  where: (pos: number) => string;
}

type State = 'native' | 'skip' | 'item-header' | 'item-data' | 'done';

export class PixelDataReader {
  readonly #queue: ByteQueue;
  readonly #options: PixelDataOptions;
  readonly #start: number;
  #pos: number;
  #state: State = 'done';
  #left = 0;
  #pieces: Uint8Array[] = [];
  /** Native. */
  #framesLeft = 0;
  #frameLength = 0;
  #frameNumber = 0;
  /** Encapsulated: the item being read, where fragments start (-1: before the Basic Offset Table). */
  #assembler: FrameAssembler | undefined;
  #itemStart = 0;
  #itemLength = 0;
  #firstFragment = -1;

  /** `pos`: dataset position of the value's first byte (the queue's first byte). */
  constructor(queue: ByteQueue, pos: number, start: number, options: PixelDataOptions) {
    this.#queue = queue;
    this.#pos = pos;
    this.#start = start;
    this.#options = options;
    const { length, numberOfFrames: frames } = options;
    const where = options.where(start);
    if (!options.encapsulated) {
      if (length === UNDEFINED_LENGTH) {
        throw new FrameCacheError(
          'part10',
          `PixelData at ${where} has an undefined length in a native transfer syntax`,
        );
      }
      if (frames < 1 || length === 0) {
        this.#left = length;
        this.#state = 'skip';
        return;
      }
      this.#frameLength = Math.floor(length / frames);
      if (this.#frameLength === 0) {
        throw new FrameCacheError(
          'part10',
          `PixelData at ${where} (${length} bytes) is shorter than NumberOfFrames (${frames})`,
        );
      }
      this.#framesLeft = frames;
      this.#left = this.#frameLength;
      this.#state = 'native';
      return;
    }
    if (length === 0) return;
    if (length !== UNDEFINED_LENGTH) {
      throw new FrameCacheError(
        'part10',
        `Encapsulated PixelData at ${where} has a defined length (${length}): fragment items missing`,
      );
    }
    this.#assembler = new FrameAssembler(
      frames,
      options.extended,
      options.onFrame,
      (rel) => `(fragment offset ${rel}, first fragment at ${options.where(this.#firstFragment)})`,
    );
    this.#state = 'item-header';
  }

  /** Dataset position of the next unread byte. */
  get pos(): number {
    return this.#pos;
  }

  /** Reads what the queue holds; true once the PixelData value has ended. */
  run(): boolean {
    const queue = this.#queue;
    for (;;) {
      switch (this.#state) {
        case 'native':
          if (!this.#take()) return false;
          this.#emitNative();
          break;
        case 'skip': {
          const count = Math.min(this.#left, queue.available);
          queue.skip(count);
          this.#pos += count;
          this.#left -= count;
          if (this.#left > 0) return false;
          this.#state = 'done';
          break;
        }
        case 'item-header':
          if (!this.#readItemHeader()) return false;
          break;
        case 'item-data':
          if (!this.#take()) return false;
          this.#endItem();
          break;
        case 'done':
          return true;
      }
    }
  }

  /** What is missing, for the message of a file that ends early. */
  pending(): string {
    if (this.#state === 'item-header' || this.#state === 'item-data') {
      return `the encapsulated PixelData at ${this.#options.where(this.#start)} ends early (last item at ${this.#options.where(this.#itemStart)}, length ${this.#itemLength})`;
    }
    return `PixelData (7FE0,0010) at ${this.#options.where(this.#start)} (length ${this.#options.length}) is longer than the data`;
  }

  /** Collects `#left` more bytes into `#pieces`; false when the queue runs dry first. */
  #take(): boolean {
    const queue = this.#queue;
    while (this.#left > 0) {
      if (queue.available === 0) return false;
      const piece = queue.take(this.#left);
      this.#pieces.push(piece);
      this.#left -= piece.byteLength;
      this.#pos += piece.byteLength;
    }
    return true;
  }

  #emitNative(): void {
    const bytes = joinPieces(this.#pieces, this.#frameLength);
    this.#pieces = [];
    this.#framesLeft -= 1;
    this.#frameNumber += 1;
    if (this.#framesLeft > 0) {
      this.#left = this.#frameLength;
    } else {
      this.#left = this.#options.length - this.#options.numberOfFrames * this.#frameLength;
      this.#state = 'skip';
    }
    this.#options.onFrame(this.#frameNumber, bytes);
  }

  #readItemHeader(): boolean {
    const queue = this.#queue;
    if (!queue.peek(8)) return false;
    const b = queue.peekBytes;
    const i = queue.peekAt;
    const tag = ((b[i + 1]! << 24) | (b[i]! << 16) | (b[i + 3]! << 8) | b[i + 2]!) >>> 0;
    const length = (b[i + 4]! | (b[i + 5]! << 8) | (b[i + 6]! << 16) | (b[i + 7]! << 24)) >>> 0;
    const start = this.#pos;
    const first = this.#firstFragment < 0;
    const where = this.#options.where(start);
    if (tag === SEQUENCE_DELIMITER && !first) {
      queue.skip(8);
      this.#pos += 8;
      this.#state = 'done';
      this.#assembler!.finish(start - this.#firstFragment);
      return true;
    }
    if (tag !== ITEM) {
      const expected = first ? 'the Basic Offset Table item' : 'a fragment item';
      throw new FrameCacheError(
        'part10',
        `Expected ${expected} (FFFE,E000) in the PixelData at ${where}, found ${formatTag(tag)}`,
      );
    }
    if (length === UNDEFINED_LENGTH || (first && length % 4 !== 0)) {
      throw new FrameCacheError(
        'part10',
        `Invalid ${first ? 'Basic Offset Table' : 'fragment'} item length ${length} at ${where}`,
      );
    }
    queue.skip(8);
    this.#pos += 8;
    this.#itemStart = start;
    this.#itemLength = length;
    this.#left = length;
    this.#pieces = [];
    this.#state = 'item-data';
    return true;
  }

  #endItem(): void {
    const pieces = this.#pieces;
    this.#pieces = [];
    this.#state = 'item-header';
    if (this.#firstFragment < 0) {
      this.#firstFragment = this.#pos;
      this.#assembler!.setBasicOffsetTable(joinPieces(pieces, this.#itemLength));
    } else {
      this.#assembler!.addFragment(this.#itemStart - this.#firstFragment, pieces, this.#itemLength);
    }
  }
}

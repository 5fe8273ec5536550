/**
 * Incremental reader of the dataset after the File Meta Information: walks element headers,
 * skips values it does not need (undefined-length sequences and items included, nested), keeps
 * the few top-level attributes the cache needs and cuts the top-level PixelData into frames.
 * Bytes are pushed in any chunking; it keeps only what it still needs and emits each frame as
 * soon as its bytes are complete. Parsing stops after the top-level PixelData.
 */

import { FrameCacheError } from '../shared/errors.js';
import { ByteQueue, joinPieces } from './part10-byte-queue.js';
import type { EmitFrame } from './part10-encapsulated.js';
import { PixelDataReader } from './part10-pixel-data.js';
import { formatTag, hasLongLength, isUpperCaseLetter, VR_UN } from '../shared/transfer-syntax.js';

export interface DatasetAttributes {
  numberOfFrames: number;
  rows?: number;
  columns?: number;
  sopInstanceUid?: string;
}

export interface DatasetReaderOptions {
  explicitVr: boolean;
  littleEndian: boolean;
  encapsulated: boolean;
  /** Added to dataset positions in messages. */
  baseOffset: number;
  /** 'offset' (file) or 'inflated offset' (deflated datasets). */
  offsetName: string;
  onPixelData: (attributes: DatasetAttributes) => void;
  onFrame: EmitFrame;
}

const UNDEFINED_LENGTH = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_DELIMITER = 0xfffee00d;
const SEQUENCE_DELIMITER = 0xfffee0dd;
const SOP_INSTANCE_UID = 0x00080018;
const NUMBER_OF_FRAMES = 0x00280008;
const ROWS = 0x00280010;
const COLUMNS = 0x00280011;
const EXTENDED_OFFSET_TABLE = 0x7fe00001;
const EXTENDED_OFFSET_TABLE_LENGTHS = 0x7fe00002;
const PIXEL_DATA = 0x7fe00010;
/** Longest value kept for the short attributes; longer ones are skipped (treated as absent/invalid). */
const MAX_SHORT_VALUE = 1024;

/** Contexts (a sequence and its item: two a level) the reader keeps at most. */
const MAX_DEPTH = 128;

interface Context {
  /** 'dataset': elements until EOF (top) or an item delimiter; 'items': items until a sequence delimiter. */
  kind: 'dataset' | 'items';
  explicitVr: boolean;
  littleEndian: boolean;
  top: boolean;
  /** No element read yet: where the explicit-vs-implicit check happens. */
  first: boolean;
  /** Where the element that opened it starts (messages). */
  start: number;
}

type State = 'header' | 'skip' | 'collect' | 'pixel-data' | 'done';

export class DatasetReader {
  readonly #options: DatasetReaderOptions;
  readonly #queue = new ByteQueue();
  readonly #stack: Context[];
  #state: State = 'header';
  /** Dataset position of the queue's first byte. */
  #pos = 0;
  /** The element (or item) whose header was read last: messages. */
  #tag = 0;
  #tagStart = 0;
  #length = 0;
  #skipLeft = 0;
  #collectLeft = 0;
  #collectLength = 0;
  #pieces: Uint8Array[] = [];
  #attributes: DatasetAttributes = { numberOfFrames: 1 };
  #extendedOffsets: Uint8Array | undefined;
  #extendedLengths: Uint8Array | undefined;
  #pixelData: PixelDataReader | undefined;

  constructor(options: DatasetReaderOptions) {
    this.#options = options;
    this.#stack = [
      {
        kind: 'dataset',
        explicitVr: options.explicitVr,
        littleEndian: options.littleEndian,
        top: true,
        first: true,
        start: 0,
      },
    ];
  }

  get attributes(): DatasetAttributes {
    return this.#attributes;
  }

  push(chunk: Uint8Array): void {
    if (this.#state === 'done') return;
    this.#queue.push(chunk);
    this.#run();
  }

  /** The data has ended: throws 'part10' unless the dataset ended where it may. */
  end(): void {
    if (this.#state === 'done') return;
    if (this.#state === 'header' && this.#stack.length === 1 && this.#queue.available === 0) return;
    throw this.#error(
      `Part 10 data ends early at ${this.#where(this.#pos + this.#queue.available)}: ${this.#pending()}`,
    );
  }

  #run(): void {
    const queue = this.#queue;
    for (;;) {
      switch (this.#state) {
        case 'header':
          if (!this.#readHeader()) return;
          break;
        case 'skip': {
          const count = Math.min(this.#skipLeft, queue.available);
          queue.skip(count);
          this.#pos += count;
          this.#skipLeft -= count;
          if (this.#skipLeft > 0) return;
          this.#state = 'header';
          break;
        }
        case 'collect':
          if (!this.#collect()) return;
          break;
        case 'pixel-data': {
          const pixelData = this.#pixelData!;
          const ended = pixelData.run();
          this.#pos = pixelData.pos;
          if (!ended) return;
          this.#state = 'done';
          break;
        }
        case 'done':
          queue.clear();
          return;
      }
    }
  }

  #readHeader(): boolean {
    const queue = this.#queue;
    if (!queue.peek(8)) return false;
    const ctx = this.#stack[this.#stack.length - 1]!;
    let b = queue.peekBytes;
    let i = queue.peekAt;
    const le = ctx.littleEndian;
    const tag = le
      ? ((b[i + 1]! << 24) | (b[i]! << 16) | (b[i + 3]! << 8) | b[i + 2]!) >>> 0
      : ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
    const start = this.#pos;

    if (ctx.kind === 'items') {
      const length = readUint32(b, i + 4, le);
      this.#setElement(tag, start, length, 8);
      if (tag === ITEM) {
        if (length === UNDEFINED_LENGTH) {
          this.#checkDepth(start);
          this.#stack.push({
            kind: 'dataset',
            explicitVr: ctx.explicitVr,
            littleEndian: le,
            top: false,
            first: true,
            start,
          });
        } else {
          this.#skip(length);
        }
      } else if (tag === SEQUENCE_DELIMITER) {
        this.#stack.pop();
      } else {
        throw this.#error(
          `Expected an item or a sequence delimiter in the sequence at ${this.#where(ctx.start)}, found ${formatTag(tag)} at ${this.#where(start)}`,
        );
      }
      return true;
    }

    if (tag >>> 16 === 0xfffe) {
      if (tag === ITEM_DELIMITER && !ctx.top) {
        this.#setElement(tag, start, 0, 8);
        this.#stack.pop();
        return true;
      }
      throw this.#error(`Unexpected ${formatTag(tag)} at ${this.#where(start)}`);
    }

    let explicit = ctx.explicitVr;
    let vr = 0;
    if (explicit) {
      const v0 = b[i + 4]!;
      const v1 = b[i + 5]!;
      if (isUpperCaseLetter(v0) && isUpperCaseLetter(v1)) {
        vr = (v0 << 8) | v1;
      } else if (ctx.first) {
        // Explicit VR announced but the dataset is written in implicit VR: read it as such (pydicom does).
        ctx.explicitVr = explicit = false;
      } else {
        throw this.#error(
          `Invalid VR bytes ${hex(v0)} ${hex(v1)} in element ${formatTag(tag)} at ${this.#where(start)}`,
        );
      }
    }
    let length: number;
    let headerLength = 8;
    if (!explicit) {
      length = readUint32(b, i + 4, le);
    } else if (hasLongLength(vr)) {
      if (!queue.peek(12)) return false;
      b = queue.peekBytes;
      i = queue.peekAt;
      length = readUint32(b, i + 8, le);
      headerLength = 12;
    } else {
      length = le ? b[i + 6]! | (b[i + 7]! << 8) : (b[i + 6]! << 8) | b[i + 7]!;
    }
    ctx.first = false;
    this.#setElement(tag, start, length, headerLength);

    if (ctx.top) {
      if (tag === PIXEL_DATA) {
        this.#startPixelData(length);
        return true;
      }
      if (length !== UNDEFINED_LENGTH && isKeptAttribute(tag)) {
        if (length <= MAX_SHORT_VALUE || tag >>> 16 === 0x7fe0) {
          this.#startCollect(length);
          return true;
        }
        if (tag === NUMBER_OF_FRAMES) this.#attributes.numberOfFrames = 0;
      }
    }
    if (length === UNDEFINED_LENGTH) {
      // A sequence (or UN / OB holding one, or an icon's encapsulated pixel data): walk its items.
      // UN of undefined length holds implicit VR little endian data (PS3.5 6.2.2).
      const un = explicit && vr === VR_UN;
      this.#checkDepth(start);
      this.#stack.push({
        kind: 'items',
        explicitVr: explicit && !un,
        littleEndian: un ? true : le,
        top: false,
        first: false,
        start,
      });
      return true;
    }
    this.#skip(length);
    return true;
  }

  #setElement(tag: number, start: number, length: number, headerLength: number): void {
    this.#tag = tag;
    this.#tagStart = start;
    this.#length = length;
    this.#queue.skip(headerLength);
    this.#pos += headerLength;
  }

  #skip(length: number): void {
    this.#skipLeft = length;
    this.#state = 'skip';
  }

  #startCollect(length: number): void {
    this.#collectLeft = length;
    this.#collectLength = length;
    this.#pieces = [];
    this.#state = 'collect';
  }

  #collect(): boolean {
    const queue = this.#queue;
    while (this.#collectLeft > 0) {
      if (queue.available === 0) return false;
      const piece = queue.take(this.#collectLeft);
      this.#pieces.push(piece);
      this.#collectLeft -= piece.byteLength;
      this.#pos += piece.byteLength;
    }
    const value = joinPieces(this.#pieces, this.#collectLength);
    this.#pieces = [];
    this.#state = 'header';
    this.#keepAttribute(value);
    return true;
  }

  #keepAttribute(value: Uint8Array): void {
    const le = this.#stack[0]!.littleEndian;
    switch (this.#tag) {
      case NUMBER_OF_FRAMES:
        this.#attributes.numberOfFrames = parseNumberOfFrames(value);
        break;
      case ROWS:
      case COLUMNS:
        if (value.byteLength === 2) {
          const n = le ? value[0]! | (value[1]! << 8) : (value[0]! << 8) | value[1]!;
          if (this.#tag === ROWS) this.#attributes.rows = n;
          else this.#attributes.columns = n;
        }
        break;
      case SOP_INSTANCE_UID:
        this.#attributes.sopInstanceUid = decodeText(value);
        break;
      case EXTENDED_OFFSET_TABLE:
        this.#extendedOffsets = value;
        break;
      case EXTENDED_OFFSET_TABLE_LENGTHS:
        this.#extendedLengths = value;
        break;
    }
  }

  #startPixelData(length: number): void {
    this.#options.onPixelData(this.#attributes);
    const offsets = this.#extendedOffsets;
    const lengths = this.#extendedLengths;
    this.#pixelData = new PixelDataReader(this.#queue, this.#pos, this.#tagStart, {
      encapsulated: this.#options.encapsulated,
      length,
      numberOfFrames: this.#attributes.numberOfFrames,
      extended: offsets !== undefined && lengths !== undefined ? { offsets, lengths } : undefined,
      onFrame: this.#options.onFrame,
      where: (pos) => this.#where(pos),
    });
    this.#state = 'pixel-data';
  }

  #pending(): string {
    const what = `${formatTag(this.#tag)} at ${this.#where(this.#tagStart)}`;
    switch (this.#state) {
      case 'skip':
      case 'collect':
        return `${what} (length ${this.#length}) is longer than the data`;
      case 'pixel-data':
        return this.#pixelData!.pending();
      default: {
        if (this.#queue.available > 0) return `truncated element header after ${what}`;
        const ctx = this.#stack[this.#stack.length - 1]!;
        return `the ${ctx.kind === 'items' ? 'sequence' : 'item'} at ${this.#where(ctx.start)} is not closed`;
      }
    }
  }

  #where(pos: number): string {
    return `${this.#options.offsetName} ${this.#options.baseOffset + pos}`;
  }

  /**
   * Sequences nest a few levels in real files; a nesting bomb (a million undefined-length
   * sequences and items, no value bytes) would keep a context per level: refused past MAX_DEPTH.
   */
  #checkDepth(start: number): void {
    if (this.#stack.length >= MAX_DEPTH)
      throw this.#error(`Sequences nested deeper than ${MAX_DEPTH / 2} levels at ${this.#where(start)}`);
  }

  #error(message: string): FrameCacheError {
    this.#state = 'done';
    this.#queue.clear();
    return new FrameCacheError('part10', message);
  }
}

function readUint32(b: Uint8Array, i: number, le: boolean): number {
  return le
    ? (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0
    : ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
}

function isKeptAttribute(tag: number): boolean {
  return (
    tag === NUMBER_OF_FRAMES ||
    tag === ROWS ||
    tag === COLUMNS ||
    tag === SOP_INSTANCE_UID ||
    tag === EXTENDED_OFFSET_TABLE ||
    tag === EXTENDED_OFFSET_TABLE_LENGTHS
  );
}

const latin1 = new TextDecoder('latin1');

/** Text of a string value without trailing NUL / space padding (or leading spaces). */
export function decodeText(value: Uint8Array): string {
  return latin1
    .decode(value)
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
}

/** IS value: missing or empty counts as 1; unparsable or multi-valued gives 0 (no frames). */
function parseNumberOfFrames(value: Uint8Array): number {
  const text = decodeText(value);
  if (text === '') return 1;
  if (!/^[+-]?\d{1,12}$/.test(text)) return 0;
  const n = Number(text);
  return n >= 1 ? n : 0;
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, '0');
}

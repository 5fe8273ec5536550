/**
 * Turns the fragments of encapsulated pixel data into frames (DICOM PS3.5 A.4), as they
 * complete. Offsets ("rel") are measured from the first byte of the first fragment's item tag,
 * as both offset tables are.
 *
 * Which frames: the Extended Offset Table when it has one entry per frame, else a non-empty
 * Basic Offset Table (its entry count is the real frame count), else the fragments decide
 * ("inferred"): one fragment per frame when the fragment count equals NumberOfFrames, all
 * fragments for NumberOfFrames = 1, otherwise JPEG / JPEG 2000 end-of-image markers.
 *
 * Early emission without an offset table (NumberOfFrames > 1): fragment k is emitted as frame k
 * as soon as it completes, while fragments 1..k each are a whole codestream (start-of-codestream
 * and end-of-image markers). Both final rules then agree: with fragment count == frame count,
 * frame k is fragment k; otherwise the marker rule groups fragments up to each one that ends
 * with an end-of-image marker, and 1..k each end with one. From the first fragment that is not
 * a whole codestream on, fragments are kept until the sequence delimiter decides.
 */

import { FrameCacheError } from '../shared/errors.js';
import { joinPieces } from './part10-byte-queue.js';

export type EmitFrame = (frameNumber: number, bytes: Uint8Array) => void;

interface Fragment {
  pieces: Uint8Array[];
  byteLength: number;
}

type Mode = 'none' | 'table' | 'inferred';

/** 2^53 / 2^32: a 64-bit offset with a high word from here on is beyond any buffer. */
const MAX_HIGH_WORD = 0x200000;

const EMPTY_FRAGMENT: Fragment = Object.freeze({ pieces: [], byteLength: 0 }) as unknown as Fragment;

export class FrameAssembler {
  readonly #numberOfFrames: number;
  readonly #emit: EmitFrame;
  readonly #at: (rel: number) => string;
  readonly #extended: { offsets: Uint8Array; lengths: Uint8Array } | undefined;
  #mode: Mode = 'none';
  #table: number[] = [];
  #tableName = '';
  #lengths: number[] | undefined;
  /** Table mode: index of the frame being filled, and its fragments. */
  #frameIndex = -1;
  #frame: Fragment[] = [];
  #frameEmitted = false;
  /** Inferred mode. */
  #fragmentCount = 0;
  #emitted = 0;
  #streak = true;
  #kept: Fragment[] = [];

  constructor(
    numberOfFrames: number,
    extended: { offsets: Uint8Array; lengths: Uint8Array } | undefined,
    emit: EmitFrame,
    at: (rel: number) => string,
  ) {
    this.#numberOfFrames = numberOfFrames;
    this.#extended = extended;
    this.#emit = emit;
    this.#at = at;
  }

  /** Called once with the Basic Offset Table item's value (possibly empty); decides the mode. */
  setBasicOffsetTable(bot: Uint8Array): void {
    const frames = this.#numberOfFrames;
    if (frames < 1) return;
    const extended = this.#extended;
    if (
      extended !== undefined &&
      extended.offsets.byteLength === frames * 8 &&
      extended.lengths.byteLength === frames * 8
    ) {
      this.#useTable('Extended Offset Table', readUint64s(extended.offsets, 'Extended Offset Table'));
      this.#lengths = readUint64s(extended.lengths, 'Extended Offset Table Lengths');
      return;
    }
    if (bot.byteLength > 0) {
      const offsets: number[] = [];
      for (let i = 0; i < bot.byteLength; i += 4) {
        offsets.push((bot[i]! | (bot[i + 1]! << 8) | (bot[i + 2]! << 16) | (bot[i + 3]! << 24)) >>> 0);
      }
      this.#useTable('Basic Offset Table', offsets);
      return;
    }
    this.#mode = 'inferred';
  }

  addFragment(rel: number, pieces: Uint8Array[], byteLength: number): void {
    if (this.#mode === 'table') this.#addToTable(rel, pieces, byteLength);
    else if (this.#mode === 'inferred') this.#addInferred(pieces, byteLength);
  }

  /** The sequence delimiter was reached at `rel`. */
  finish(rel: number): void {
    if (this.#mode === 'table') {
      const next = this.#frameIndex + 1;
      if (next < this.#table.length) {
        throw new FrameCacheError(
          'part10',
          `${this.#tableName} entry ${next} (${this.#table[next]}) points outside the pixel data fragments (${rel} bytes) ${this.#at(rel)}`,
        );
      }
      if (!this.#frameEmitted) this.#emitTableFrame();
    } else if (this.#mode === 'inferred') {
      this.#finishInferred(rel);
    }
  }

  #useTable(name: string, offsets: number[]): void {
    if (offsets[0] !== 0) {
      throw new FrameCacheError('part10', `${name} entry 0 is ${offsets[0]}, not 0 ${this.#at(0)}`);
    }
    for (let i = 1; i < offsets.length; i += 1) {
      if (offsets[i]! <= offsets[i - 1]!) {
        throw new FrameCacheError(
          'part10',
          `${name} is not increasing: entry ${i} (${offsets[i]}) follows ${offsets[i - 1]} ${this.#at(0)}`,
        );
      }
    }
    this.#mode = 'table';
    this.#tableName = name;
    this.#table = offsets;
  }

  #addToTable(rel: number, pieces: Uint8Array[], byteLength: number): void {
    const next = this.#frameIndex + 1;
    if (next < this.#table.length) {
      const start = this.#table[next]!;
      if (rel === start) {
        this.#frameIndex = next;
        this.#frame = [];
        this.#frameEmitted = false;
      } else if (rel > start) {
        throw new FrameCacheError(
          'part10',
          `${this.#tableName} entry ${next} (${start}) does not point to a fragment item ${this.#at(start)}`,
        );
      }
    }
    // An empty fragment adds no byte: not kept (a million of them held a million objects).
    if (byteLength > 0) this.#frame.push({ pieces, byteLength });
    const end = rel + 8 + byteLength;
    const following = this.#frameIndex + 1;
    if (following < this.#table.length && end === this.#table[following]) this.#emitTableFrame();
  }

  #emitTableFrame(): void {
    const index = this.#frameIndex;
    const bytes = joinFragments(this.#frame);
    this.#frame = [];
    this.#frameEmitted = true;
    const expected = this.#lengths?.[index];
    if (expected !== undefined && expected > bytes.byteLength) {
      throw new FrameCacheError(
        'part10',
        `Extended Offset Table Lengths entry ${index} (${expected}) exceeds the frame's ${bytes.byteLength} fragment bytes`,
      );
    }
    this.#emitFrame(index + 1, bytes);
  }

  #addInferred(pieces: Uint8Array[], byteLength: number): void {
    this.#fragmentCount += 1;
    // Empty fragments still count (one fragment a frame), as one shared object.
    const fragment = byteLength === 0 ? EMPTY_FRAGMENT : { pieces, byteLength };
    if (this.#streak && this.#numberOfFrames > 1 && startsCodestream(fragment) && endsWithEndOfImage([fragment])) {
      this.#emitted += 1;
      this.#emitFrame(this.#emitted, joinPieces(pieces, byteLength));
      return;
    }
    this.#streak = false;
    this.#kept.push(fragment);
  }

  #finishInferred(rel: number): void {
    const kept = this.#kept;
    this.#kept = [];
    const count = this.#fragmentCount;
    if (count === 0) return;
    if (count === this.#numberOfFrames) {
      for (const fragment of kept) {
        this.#emitted += 1;
        this.#emitFrame(this.#emitted, joinFragments([fragment]));
      }
      return;
    }
    if (this.#numberOfFrames === 1) {
      this.#emitFrame(1, joinFragments(kept));
      return;
    }
    let group: Fragment[] = [];
    for (const fragment of kept) {
      group.push(fragment);
      if (!endsWithEndOfImage(group)) continue;
      if (!startsCodestream(group[0]!)) break;
      this.#emitted += 1;
      this.#emitFrame(this.#emitted, joinFragments(group));
      group = [];
    }
    if (group.length > 0) {
      throw new FrameCacheError(
        'part10',
        `Cannot tell where frames end: ${count} fragments for ${this.#numberOfFrames} frames, no offset table, ` +
          `and fragments after frame ${this.#emitted} are not JPEG / JPEG 2000 codestreams with end-of-image markers ${this.#at(rel)}`,
      );
    }
  }

  #emitFrame(frameNumber: number, bytes: Uint8Array): void {
    if (bytes.byteLength === 0) {
      throw new FrameCacheError('part10', `Frame ${frameNumber} of the encapsulated pixel data is empty`);
    }
    this.#emit(frameNumber, bytes);
  }
}

function readUint64s(bytes: Uint8Array, name: string): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: number[] = [];
  for (let at = 0; at + 8 <= bytes.byteLength; at += 8) {
    const high = view.getUint32(at + 4, true);
    if (high >= MAX_HIGH_WORD) {
      throw new FrameCacheError('part10', `${name} entry ${at / 8} points outside the pixel data`);
    }
    values.push(high * 0x100000000 + view.getUint32(at, true));
  }
  return values;
}

function joinFragments(fragments: readonly Fragment[]): Uint8Array {
  if (fragments.length === 1) return joinPieces(fragments[0]!.pieces, fragments[0]!.byteLength);
  let byteLength = 0;
  const pieces: Uint8Array[] = [];
  for (const fragment of fragments) {
    byteLength += fragment.byteLength;
    for (const piece of fragment.pieces) pieces.push(piece);
  }
  return joinPieces(pieces, byteLength);
}

function byteAt(fragment: Fragment, index: number): number {
  let at = index;
  for (const piece of fragment.pieces) {
    if (at < piece.byteLength) return piece[at]!;
    at -= piece.byteLength;
  }
  return -1;
}

const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20];

/** JPEG / JPEG-LS SOI (FFD8), JPEG 2000 codestream SOC + SIZ (FF4F FF51), or a JP2 signature box. */
export function startsCodestream(fragment: Fragment): boolean {
  const b0 = byteAt(fragment, 0);
  const b1 = byteAt(fragment, 1);
  if (b0 === 0xff && b1 === 0xd8) return true;
  if (b0 === 0xff && b1 === 0x4f) return byteAt(fragment, 2) === 0xff && byteAt(fragment, 3) === 0x51;
  return JP2_SIGNATURE.every((value, i) => byteAt(fragment, i) === value);
}

/**
 * The data of `fragments` (one frame's, in order) ends with FF D9, ignoring one trailing 0x00
 * pad byte; the marker may straddle two fragments.
 */
export function endsWithEndOfImage(fragments: readonly Fragment[]): boolean {
  const tail: number[] = [];
  for (let f = fragments.length - 1; f >= 0 && tail.length < 3; f -= 1) {
    const pieces = fragments[f]!.pieces;
    for (let p = pieces.length - 1; p >= 0 && tail.length < 3; p -= 1) {
      const piece = pieces[p]!;
      for (let i = piece.byteLength - 1; i >= 0 && tail.length < 3; i -= 1) tail.push(piece[i]!);
    }
  }
  // tail holds the last bytes, last first.
  if (tail[0] === 0xd9 && tail[1] === 0xff) return true;
  return tail[0] === 0x00 && tail[1] === 0xd9 && tail[2] === 0xff;
}

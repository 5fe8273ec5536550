/**
 * Builds DICOM Part 10 files for tests. `writeWithDcmjs` uses dcmjs (what it can write: explicit
 * VR little endian and encapsulated syntaxes, with a Basic Offset Table). The byte writer below
 * covers what dcmjs cannot: implicit VR datasets (also under a meta group announcing explicit
 * VR), big endian, deflated, Extended Offset Table, empty or absent offset tables, several
 * fragments per frame, odd-length fragments, undefined-length sequences and items, UN of
 * undefined length, icon image sequences, no preamble.
 */

import { deflateSync } from 'fflate';
// @ts-expect-error -- dcmjs ships no type declarations
import dcmjsModule from 'dcmjs';

export const TS = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflated: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpeg2000: '1.2.840.10008.1.2.4.90',
  rle: '1.2.840.10008.1.2.5',
} as const;

export const TAG = {
  sopClassUid: 0x00080016,
  sopInstanceUid: 0x00080018,
  patientName: 0x00100010,
  iconImageSequence: 0x00880200,
  samplesPerPixel: 0x00280002,
  numberOfFrames: 0x00280008,
  rows: 0x00280010,
  columns: 0x00280011,
  bitsAllocated: 0x00280100,
  extendedOffsetTable: 0x7fe00001,
  extendedOffsetTableLengths: 0x7fe00002,
  pixelData: 0x7fe00010,
  trailingPadding: 0xfffcfffc,
} as const;

const SOP_CLASS_WSI = '1.2.840.10008.5.1.4.1.1.77.1.6';
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

/** One data element. `items` makes it a sequence (any VR: SQ, UN); `fragments` encapsulated pixel data. */
export interface Element {
  tag: number;
  vr: string;
  value?: Uint8Array;
  items?: Element[][];
  /** Write the element (sequence / UN) with undefined length and a sequence delimiter. */
  undefinedLength?: boolean;
  /** Write every item with undefined length and an item delimiter. */
  undefinedLengthItems?: boolean;
  /** Encapsulated value: the Basic Offset Table item value, then one item per fragment. */
  fragments?: { bot: Uint8Array; fragments: Uint8Array[] };
  /** Write this length instead of the real one (hostile files). */
  lengthOverride?: number;
}

export type Encoding = 'implicit' | 'explicit' | 'big-endian';

const text = new TextEncoder();

function padded(value: string, pad: number): Uint8Array {
  const bytes = text.encode(value);
  if (bytes.length % 2 === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = pad;
  return out;
}

export const el = {
  ui: (tag: number, uid: string): Element => ({ tag, vr: 'UI', value: padded(uid, 0) }),
  is: (tag: number, value: string | number): Element => ({ tag, vr: 'IS', value: padded(String(value), 0x20) }),
  lo: (tag: number, value: string): Element => ({ tag, vr: 'LO', value: padded(value, 0x20) }),
  pn: (tag: number, value: string): Element => ({ tag, vr: 'PN', value: padded(value, 0x20) }),
  /** US value; `endian` decides its byte order (match the dataset's encoding). */
  us: (tag: number, value: number, bigEndian = false): Element => ({
    tag,
    vr: 'US',
    value: bigEndian ? new Uint8Array([value >> 8, value & 0xff]) : new Uint8Array([value & 0xff, value >> 8]),
  }),
  ob: (tag: number, value: Uint8Array): Element => ({ tag, vr: 'OB', value }),
  sq: (
    tag: number,
    items: Element[][],
    options: { undefinedLength?: boolean; undefinedLengthItems?: boolean } = {},
  ): Element => ({
    tag,
    vr: 'SQ',
    items,
    ...options,
  }),
};

class ByteWriter {
  #buffer = new Uint8Array(1024);
  #view = new DataView(this.#buffer.buffer);
  length = 0;

  constructor(readonly littleEndian: boolean) {}

  #reserve(n: number): void {
    if (this.length + n <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.length));
    this.#buffer = next;
    this.#view = new DataView(next.buffer);
  }

  u16(value: number): void {
    this.#reserve(2);
    this.#view.setUint16(this.length, value, this.littleEndian);
    this.length += 2;
  }

  u32(value: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.length, value >>> 0, this.littleEndian);
    this.length += 4;
  }

  tag(tag: number): void {
    this.u16(tag >>> 16);
    this.u16(tag & 0xffff);
  }

  bytes(value: Uint8Array): void {
    this.#reserve(value.length);
    this.#buffer.set(value, this.length);
    this.length += value.length;
  }

  ascii(value: string): void {
    this.bytes(text.encode(value));
  }

  result(): Uint8Array {
    return this.#buffer.slice(0, this.length);
  }
}

function writeHeader(w: ByteWriter, tag: number, vr: string, length: number, explicit: boolean): void {
  w.tag(tag);
  if (!explicit) {
    w.u32(length);
  } else if (LONG_VRS.has(vr)) {
    w.ascii(vr);
    w.u16(0);
    w.u32(length);
  } else {
    w.ascii(vr);
    w.u16(length);
  }
}

/** Encodes elements (in the given order) in one encoding. Items of UN sequences are written in implicit VR LE. */
export function encodeDataset(elements: readonly Element[], encoding: Encoding): Uint8Array {
  const w = new ByteWriter(encoding !== 'big-endian');
  for (const element of elements) writeElement(w, element, encoding !== 'implicit', encoding);
  return w.result();
}

function writeElement(w: ByteWriter, element: Element, explicit: boolean, encoding: Encoding): void {
  if (element.fragments !== undefined) {
    writeHeader(w, element.tag, element.vr, 0xffffffff, explicit);
    w.tag(0xfffee000);
    w.u32(element.fragments.bot.length);
    w.bytes(element.fragments.bot);
    for (const fragment of element.fragments.fragments) {
      w.tag(0xfffee000);
      w.u32(fragment.length);
      w.bytes(fragment);
    }
    w.tag(0xfffee0dd);
    w.u32(0);
    return;
  }
  if (element.items !== undefined) {
    const itemEncoding: Encoding = element.vr === 'UN' ? 'implicit' : encoding;
    const itemLittle = itemEncoding !== 'big-endian';
    const body = new ByteWriter(itemLittle);
    for (const item of element.items) {
      const content = encodeDataset(item, itemEncoding);
      body.tag(0xfffee000);
      body.u32(element.undefinedLengthItems ? 0xffffffff : content.length);
      body.bytes(content);
      if (element.undefinedLengthItems) {
        body.tag(0xfffee00d);
        body.u32(0);
      }
    }
    const bytes = body.result();
    writeHeader(
      w,
      element.tag,
      element.vr,
      element.lengthOverride ?? (element.undefinedLength ? 0xffffffff : bytes.length),
      explicit,
    );
    w.bytes(bytes);
    if (element.undefinedLength) {
      // The delimiter is written in the items' byte order.
      const end = new ByteWriter(itemLittle);
      end.tag(0xfffee0dd);
      end.u32(0);
      w.bytes(end.result());
    }
    return;
  }
  const value = element.value ?? new Uint8Array(0);
  writeHeader(w, element.tag, element.vr, element.lengthOverride ?? value.length, explicit);
  w.bytes(value);
}

export interface Part10Options {
  transferSyntaxUid: string;
  /** Dataset elements in file order (the writer does not sort). */
  dataset: readonly Element[];
  /** How the dataset is written; default: what the transfer syntax says (deflated: explicit). */
  encoding?: Encoding;
  /** Default true. Without it the file starts with the meta group. */
  preamble?: boolean;
  /** Raw-deflate the dataset; default: when the transfer syntax is the deflated one. */
  deflate?: boolean;
  sopInstanceUid?: string;
}

/** A whole Part 10 file: preamble, "DICM", meta group (explicit VR LE, with group length), dataset. */
export function writePart10(options: Part10Options): Uint8Array {
  const sopInstanceUid = options.sopInstanceUid ?? '1.2.826.0.1.3680043.10.999.1';
  const metaBody = encodeDataset(
    [
      { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
      el.ui(0x00020002, SOP_CLASS_WSI),
      el.ui(0x00020003, sopInstanceUid),
      el.ui(0x00020010, options.transferSyntaxUid),
      el.ui(0x00020012, '1.2.826.0.1.3680043.10.999'),
    ],
    'explicit',
  );
  const w = new ByteWriter(true);
  if (options.preamble !== false) {
    w.bytes(new Uint8Array(128));
    w.ascii('DICM');
  }
  writeHeader(w, 0x00020000, 'UL', 4, true);
  w.u32(metaBody.length);
  w.bytes(metaBody);
  const defaultEncoding: Encoding =
    options.transferSyntaxUid === TS.implicitLittle
      ? 'implicit'
      : options.transferSyntaxUid === TS.explicitBig
        ? 'big-endian'
        : 'explicit';
  let dataset = encodeDataset(options.dataset, options.encoding ?? defaultEncoding);
  if (options.deflate ?? options.transferSyntaxUid === TS.deflated) dataset = deflateSync(dataset);
  w.bytes(dataset);
  return w.result();
}

export type OffsetTable = 'none' | 'bot' | 'eot';

/**
 * PixelData (and, for 'eot', the Extended Offset Table elements) for frames given as their
 * fragments' data. Offsets count from the first fragment's item tag.
 */
export function encapsulatedPixelData(framesAsFragments: readonly Uint8Array[][], table: OffsetTable): Element[] {
  const offsets: number[] = [];
  const lengths: number[] = [];
  const fragments: Uint8Array[] = [];
  let at = 0;
  for (const frame of framesAsFragments) {
    offsets.push(at);
    let length = 0;
    for (const fragment of frame) {
      fragments.push(fragment);
      at += 8 + fragment.length;
      length += fragment.length;
    }
    lengths.push(length);
  }
  const bot = new Uint8Array(table === 'bot' ? offsets.length * 4 : 0);
  if (table === 'bot') {
    const view = new DataView(bot.buffer);
    offsets.forEach((offset, i) => view.setUint32(i * 4, offset, true));
  }
  const pixelData: Element = { tag: TAG.pixelData, vr: 'OB', fragments: { bot, fragments } };
  if (table !== 'eot') return [pixelData];
  return [
    { tag: TAG.extendedOffsetTable, vr: 'OV', value: uint64s(offsets) },
    { tag: TAG.extendedOffsetTableLengths, vr: 'OV', value: uint64s(lengths) },
    pixelData,
  ];
}

export function uint64s(values: readonly number[]): Uint8Array {
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  values.forEach((value, i) => {
    view.setUint32(i * 8, value % 0x100000000, true);
    view.setUint32(i * 8 + 4, Math.floor(value / 0x100000000), true);
  });
  return out;
}

/** Deterministic pseudo-random bytes. */
export function noise(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A JPEG-like codestream: FFD8, noise, FFD9 (even length unless `length` is odd). */
export function jpegLike(length: number, seed: number): Uint8Array {
  const out = noise(length, seed);
  out[0] = 0xff;
  out[1] = 0xd8;
  out[length - 2] = 0xff;
  out[length - 1] = 0xd9;
  return out;
}

/** A JPEG 2000 codestream-like frame: FF4F FF51, noise, FFD9. */
export function j2kLike(length: number, seed: number): Uint8Array {
  const out = jpegLike(length, seed);
  out.set([0xff, 0x4f, 0xff, 0x51], 0);
  return out;
}

/** Appends the 0x00 pad byte an odd-length value gets. */
export function padEven(bytes: Uint8Array): Uint8Array {
  if (bytes.length % 2 === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Splits bytes into pieces of at most `size` bytes. */
export function split(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

/** The usual attributes before PixelData (top level, in tag order). */
export function imageAttributes(options: {
  numberOfFrames?: number | string;
  rows?: number;
  columns?: number;
  bigEndian?: boolean;
  sopInstanceUid?: string;
}): Element[] {
  const out: Element[] = [
    el.ui(TAG.sopClassUid, SOP_CLASS_WSI),
    el.ui(TAG.sopInstanceUid, options.sopInstanceUid ?? '1.2.826.0.1.3680043.10.999.1'),
    el.pn(TAG.patientName, 'Test^Slide'),
  ];
  if (options.numberOfFrames !== undefined) out.push(el.is(TAG.numberOfFrames, options.numberOfFrames));
  out.push(
    el.us(TAG.rows, options.rows ?? 16, options.bigEndian),
    el.us(TAG.columns, options.columns ?? 16, options.bigEndian),
  );
  return out;
}

/** A native instance: frames are concatenated into one PixelData value (padded to even length). */
export function nativeInstance(options: {
  transferSyntaxUid: string;
  frames: readonly Uint8Array[];
  numberOfFrames?: number | string;
  encoding?: Encoding;
  preamble?: boolean;
  before?: Element[];
  after?: Element[];
}): Uint8Array {
  const total = options.frames.reduce((sum, frame) => sum + frame.length, 0);
  const pixels = new Uint8Array(total + (total % 2));
  let at = 0;
  for (const frame of options.frames) {
    pixels.set(frame, at);
    at += frame.length;
  }
  const bigEndian =
    (options.encoding ?? (options.transferSyntaxUid === TS.explicitBig ? 'big-endian' : 'explicit')) === 'big-endian';
  return writePart10({
    transferSyntaxUid: options.transferSyntaxUid,
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
    ...(options.preamble !== undefined ? { preamble: options.preamble } : {}),
    dataset: [
      ...imageAttributes({ numberOfFrames: options.numberOfFrames ?? options.frames.length, bigEndian }),
      ...(options.before ?? []),
      { tag: TAG.pixelData, vr: 'OW', value: pixels },
      ...(options.after ?? []),
    ],
  });
}

/** An encapsulated instance from frames given as fragments. */
export function encapsulatedInstance(options: {
  transferSyntaxUid?: string;
  frames: readonly Uint8Array[][];
  table: OffsetTable;
  numberOfFrames?: number | string | null;
  encoding?: Encoding;
  before?: Element[];
  after?: Element[];
}): Uint8Array {
  const numberOfFrames =
    options.numberOfFrames === null ? undefined : (options.numberOfFrames ?? options.frames.length);
  return writePart10({
    transferSyntaxUid: options.transferSyntaxUid ?? TS.jpegBaseline,
    ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
    dataset: [
      ...imageAttributes(numberOfFrames === undefined ? {} : { numberOfFrames }),
      ...(options.before ?? []),
      ...encapsulatedPixelData(options.frames, options.table),
      ...(options.after ?? []),
    ],
  });
}

interface DcmjsData {
  DicomDict: new (meta: Record<string, unknown>) => {
    dict: Record<string, unknown>;
    write(options?: Record<string, unknown>): ArrayBuffer;
  };
}

const dcmjs = dcmjsModule as { data: DcmjsData };

function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

/**
 * A file written by dcmjs. Encapsulated syntaxes: one BOT entry per frame; with
 * `fragmentMultiframe` (dcmjs's default) frames over 20 KiB are split into 20 KiB fragments.
 */
export function writeWithDcmjs(options: {
  transferSyntaxUid: string;
  frames: readonly Uint8Array[];
  rows?: number;
  columns?: number;
  fragmentMultiframe?: boolean;
  sopInstanceUid?: string;
}): Uint8Array {
  const sopInstanceUid = options.sopInstanceUid ?? '1.2.826.0.1.3680043.10.999.2';
  const native = options.transferSyntaxUid === TS.explicitLittle;
  const meta = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': { vr: 'UI', Value: [SOP_CLASS_WSI] },
    '00020003': { vr: 'UI', Value: [sopInstanceUid] },
    '00020010': { vr: 'UI', Value: [options.transferSyntaxUid] },
    '00020012': { vr: 'UI', Value: ['1.2.826.0.1.3680043.10.999'] },
  };
  const dict = new dcmjs.data.DicomDict(meta);
  let pixelValue: ArrayBuffer[];
  if (native) {
    const total = options.frames.reduce((sum, frame) => sum + frame.length, 0);
    const all = new Uint8Array(total);
    let at = 0;
    for (const frame of options.frames) {
      all.set(frame, at);
      at += frame.length;
    }
    pixelValue = [all.buffer];
  } else {
    pixelValue = options.frames.map(arrayBufferOf);
  }
  dict.dict = {
    '00080016': { vr: 'UI', Value: [SOP_CLASS_WSI] },
    '00080018': { vr: 'UI', Value: [sopInstanceUid] },
    '00280008': { vr: 'IS', Value: [options.frames.length] },
    '00280010': { vr: 'US', Value: [options.rows ?? 16] },
    '00280011': { vr: 'US', Value: [options.columns ?? 16] },
    '7FE00010': { vr: native ? 'OW' : 'OB', Value: pixelValue },
  };
  return new Uint8Array(dict.write({ fragmentMultiframe: options.fragmentMultiframe ?? true }));
}

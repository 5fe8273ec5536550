import dicomParser from 'dicom-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readPart10Frames } from '../../src/part10/part10.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import {
  TAG,
  TS,
  el,
  encapsulatedInstance,
  encapsulatedPixelData,
  imageAttributes,
  j2kLike,
  jpegLike,
  nativeInstance,
  noise,
  padEven,
  split,
  uint64s,
  writePart10,
  writeWithDcmjs,
  type Element,
} from '../helpers/part10-writer.js';

function part10Error(run: () => unknown): FrameCacheError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FrameCacheError);
    expect((error as FrameCacheError).code).toBe('part10');
    return error as FrameCacheError;
  }
  throw new Error('expected a part10 error');
}

function isViewInto(frame: Uint8Array, input: Uint8Array): boolean {
  return (
    frame.buffer === input.buffer &&
    frame.byteOffset >= input.byteOffset &&
    frame.byteOffset + frame.byteLength <= input.byteOffset + input.byteLength
  );
}

const nativeFrames = (count: number, size: number): Uint8Array[] =>
  Array.from({ length: count }, (_, i) => noise(size, i + 1));
const jpegFrames = (count: number, size: number): Uint8Array[] =>
  Array.from({ length: count }, (_, i) => jpegLike(size + 2 * (i % 3), i + 1));

describe('readPart10Frames', () => {
  describe('native transfer syntaxes', () => {
    it('splits a dcmjs-written explicit VR little endian file into NumberOfFrames views', () => {
      const frames = nativeFrames(3, 48);
      const file = writeWithDcmjs({ transferSyntaxUid: TS.explicitLittle, frames, rows: 4, columns: 4 });
      const result = readPart10Frames(file);
      expect(result.transferSyntaxUid).toBe(TS.explicitLittle);
      expect(result.frames).toEqual(frames);
      for (const frame of result.frames) expect(isViewInto(frame, file)).toBe(true);
    });

    it('reads implicit VR little endian', () => {
      const frames = nativeFrames(4, 30);
      const file = nativeInstance({ transferSyntaxUid: TS.implicitLittle, frames });
      expect(readPart10Frames(file)).toEqual({ transferSyntaxUid: TS.implicitLittle, frames });
    });

    it('reads explicit VR big endian and returns the pixel bytes as stored', () => {
      const frames = nativeFrames(2, 64);
      const file = nativeInstance({ transferSyntaxUid: TS.explicitBig, frames });
      expect(readPart10Frames(file).frames).toEqual(frames);
    });

    it('inflates deflated explicit VR little endian and returns views into the inflated dataset', () => {
      const frames = nativeFrames(3, 100);
      const file = nativeInstance({ transferSyntaxUid: TS.deflated, frames });
      const result = readPart10Frames(file);
      expect(result.transferSyntaxUid).toBe(TS.deflated);
      expect(result.frames).toEqual(frames);
      const buffer = result.frames[0]!.buffer;
      expect(buffer).not.toBe(file.buffer);
      for (const frame of result.frames) expect(frame.buffer).toBe(buffer);
    });

    it('splits into floor(length / NumberOfFrames) bytes without a Rows x Columns check', () => {
      // 3 frames of 7 bytes (rows/columns say 16 x 16) plus 1 pad byte: floor(22 / 3) = 7.
      const frames = nativeFrames(3, 7);
      const file = nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames });
      expect(readPart10Frames(file).frames).toEqual(frames);
    });

    it('counts a missing NumberOfFrames as 1', () => {
      const pixels = noise(40, 9);
      const file = writePart10({
        transferSyntaxUid: TS.explicitLittle,
        dataset: [...imageAttributes({}), { tag: TAG.pixelData, vr: 'OW', value: pixels }],
      });
      expect(readPart10Frames(file).frames).toEqual([pixels]);
    });

    it.each(['0', '-2', 'abc', '2\\3', '1.5'])('returns zero frames for NumberOfFrames %j', (value) => {
      const file = nativeInstance({
        transferSyntaxUid: TS.explicitLittle,
        frames: nativeFrames(2, 8),
        numberOfFrames: value,
      });
      expect(readPart10Frames(file).frames).toEqual([]);
    });

    it('returns zero frames without PixelData or with empty PixelData', () => {
      const none = writePart10({
        transferSyntaxUid: TS.explicitLittle,
        dataset: imageAttributes({ numberOfFrames: 2 }),
      });
      expect(readPart10Frames(none)).toEqual({ transferSyntaxUid: TS.explicitLittle, frames: [] });
      const empty = nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames: [], numberOfFrames: 2 });
      expect(readPart10Frames(empty).frames).toEqual([]);
    });

    it('rejects PixelData shorter than NumberOfFrames bytes', () => {
      const file = nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames: [noise(4, 1)], numberOfFrames: 8 });
      expect(part10Error(() => readPart10Frames(file)).message).toMatch(/shorter than NumberOfFrames/);
    });

    it('ignores elements after the PixelData', () => {
      const frames = nativeFrames(2, 10);
      const file = nativeInstance({
        transferSyntaxUid: TS.explicitLittle,
        frames,
        after: [{ tag: TAG.trailingPadding, vr: 'OB', value: new Uint8Array(6) }],
      });
      expect(readPart10Frames(file).frames).toEqual(frames);
    });
  });

  describe('file structure', () => {
    it('accepts a file without preamble that starts with the meta group', () => {
      const frames = nativeFrames(2, 12);
      const file = nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames, preamble: false });
      expect(file[0]).toBe(0x02);
      expect(readPart10Frames(file).frames).toEqual(frames);
    });

    it('trims trailing spaces and NULs from the Transfer Syntax UID', () => {
      const frames = nativeFrames(1, 8);
      const file = writePart10({
        transferSyntaxUid: `${TS.explicitLittle} `,
        encoding: 'explicit',
        dataset: [...imageAttributes({ numberOfFrames: 1 }), { tag: TAG.pixelData, vr: 'OW', value: frames[0]! }],
      });
      expect(readPart10Frames(file)).toEqual({ transferSyntaxUid: TS.explicitLittle, frames });
    });

    it('reads an implicit VR dataset under a meta group announcing explicit VR (native and encapsulated)', () => {
      const frames = nativeFrames(2, 20);
      const native = nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames, encoding: 'implicit' });
      expect(readPart10Frames(native).frames).toEqual(frames);
      const jpeg = jpegFrames(3, 40);
      const encapsulated = encapsulatedInstance({ frames: jpeg.map((f) => [f]), table: 'none', encoding: 'implicit' });
      expect(readPart10Frames(encapsulated).frames).toEqual(jpeg);
    });

    it('skips undefined-length sequences and items, nested, before the PixelData', () => {
      const inner = el.sq(0x00400555, [[el.lo(0x00100020, 'inner')], []], {
        undefinedLength: true,
        undefinedLengthItems: true,
      });
      const outer = el.sq(0x00081115, [[el.lo(0x00100020, 'a'), inner], [el.lo(0x00100020, 'b')]], {
        undefinedLength: true,
        undefinedLengthItems: true,
      });
      const definedOuter = el.sq(0x00081140, [[inner]]);
      // UN of undefined length holds an implicit VR little endian sequence (PS3.5 6.2.2).
      const un: Element = {
        tag: 0x00091010,
        vr: 'UN',
        items: [[el.lo(0x00100020, 'x'), inner]],
        undefinedLength: true,
        undefinedLengthItems: true,
      };
      const frames = nativeFrames(2, 16);
      for (const transferSyntaxUid of [TS.explicitLittle, TS.implicitLittle, TS.explicitBig]) {
        const file = nativeInstance({
          transferSyntaxUid,
          frames,
          before: [outer, definedOuter, ...(transferSyntaxUid === TS.implicitLittle ? [] : [un])],
        });
        expect(readPart10Frames(file).frames).toEqual(frames);
      }
    });

    it('skips the PixelData of an icon image sequence', () => {
      const jpeg = jpegFrames(2, 50);
      const iconEncapsulated = el.sq(
        TAG.iconImageSequence,
        [[el.us(TAG.rows, 4), ...encapsulatedPixelData([[jpegLike(20, 99)]], 'bot')]],
        {
          undefinedLength: true,
          undefinedLengthItems: true,
        },
      );
      const file = encapsulatedInstance({ frames: jpeg.map((f) => [f]), table: 'none', before: [iconEncapsulated] });
      expect(readPart10Frames(file).frames).toEqual(jpeg);

      const frames = nativeFrames(2, 16);
      const iconNative = el.sq(TAG.iconImageSequence, [[{ tag: TAG.pixelData, vr: 'OW', value: noise(32, 5) }]]);
      expect(
        readPart10Frames(nativeInstance({ transferSyntaxUid: TS.implicitLittle, frames, before: [iconNative] })).frames,
      ).toEqual(frames);
    });
  });

  describe('encapsulated transfer syntaxes', () => {
    it('reads a dcmjs-written file with a Basic Offset Table and several fragments per frame, as dicom-parser does', () => {
      const frames = [jpegLike(50_000, 1), jpegLike(20_480, 2), jpegLike(45_000, 3), jpegLike(100, 4)];
      const file = writeWithDcmjs({ transferSyntaxUid: TS.jpegBaseline, frames });
      const result = readPart10Frames(file);
      expect(result.transferSyntaxUid).toBe(TS.jpegBaseline);
      expect(result.frames).toEqual(frames);
      const dataSet = dicomParser.parseDicom(file);
      const pixelData = dataSet.elements['x7fe00010']!;
      expect(pixelData.fragments!.length).toBeGreaterThan(frames.length);
      frames.forEach((_, i) => {
        expect(result.frames[i]).toEqual(new Uint8Array(dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, i)));
      });
    });

    it('uses the Extended Offset Table when it has one entry per frame', () => {
      const jpeg = jpegFrames(3, 60);
      const file = encapsulatedInstance({ frames: jpeg.map((f) => [f]), table: 'eot' });
      const result = readPart10Frames(file);
      expect(result.frames).toEqual(jpeg);
      for (const frame of result.frames) expect(isViewInto(frame, file)).toBe(true);
    });

    it('falls back from an Extended Offset Table with another entry count', () => {
      const data = [noise(30, 1), noise(30, 2), noise(30, 3)];
      const [, , pixelData] = encapsulatedPixelData(
        data.map((f) => [f]),
        'eot',
      );
      const file = writePart10({
        transferSyntaxUid: TS.rle,
        dataset: [
          ...imageAttributes({ numberOfFrames: 3 }),
          { tag: TAG.extendedOffsetTable, vr: 'OV', value: uint64s([0, 38]) },
          { tag: TAG.extendedOffsetTableLengths, vr: 'OV', value: uint64s([30, 30]) },
          pixelData!,
        ],
      });
      expect(readPart10Frames(file).frames).toEqual(data);
    });

    it('rejects Extended Offset Table offsets that are not increasing or point outside the pixel data', () => {
      const data = [noise(30, 1), noise(30, 2)];
      const pixelData = encapsulatedPixelData(
        data.map((f) => [f]),
        'none',
      );
      const withTable = (offsets: number[], lengths = [30, 30]): Uint8Array =>
        writePart10({
          transferSyntaxUid: TS.rle,
          dataset: [
            ...imageAttributes({ numberOfFrames: 2 }),
            { tag: TAG.extendedOffsetTable, vr: 'OV', value: uint64s(offsets) },
            { tag: TAG.extendedOffsetTableLengths, vr: 'OV', value: uint64s(lengths) },
            ...pixelData,
          ],
        });
      expect(readPart10Frames(withTable([0, 38])).frames).toEqual(data);
      // Lengths without the pad byte (as pydicom writes them): frames keep the pad byte.
      expect(readPart10Frames(withTable([0, 38], [29, 30])).frames).toEqual(data);
      expect(part10Error(() => readPart10Frames(withTable([0, 0]))).message).toMatch(/not increasing/);
      expect(part10Error(() => readPart10Frames(withTable([0, 76]))).message).toMatch(/outside/);
      expect(part10Error(() => readPart10Frames(withTable([0, 2 ** 60]))).message).toMatch(/outside/);
      expect(part10Error(() => readPart10Frames(withTable([0, 20]))).message).toMatch(/does not point to a fragment/);
      expect(part10Error(() => readPart10Frames(withTable([0, 38], [30, 31]))).message).toMatch(/exceeds/);
    });

    it('uses a non-empty Basic Offset Table and joins several fragments per frame', () => {
      const frames = [jpegLike(40, 1), jpegLike(90, 2), jpegLike(10, 3)];
      const fragments = [split(frames[0]!, 16), [frames[1]!], split(frames[2]!, 4)];
      const file = encapsulatedInstance({ frames: fragments, table: 'bot' });
      const result = readPart10Frames(file);
      expect(result.frames).toEqual(frames);
      expect(isViewInto(result.frames[1]!, file)).toBe(true);
    });

    it('takes the Basic Offset Table entry count as the real frame count', () => {
      const frames = [noise(20, 1), noise(20, 2)];
      const file = encapsulatedInstance({
        transferSyntaxUid: TS.rle,
        frames: frames.map((f) => [f]),
        table: 'bot',
        numberOfFrames: 5,
      });
      expect(readPart10Frames(file).frames).toEqual(frames);
    });

    it('rejects Basic Offset Tables that are not increasing, do not start at 0 or point outside', () => {
      const frames = [noise(20, 1), noise(20, 2)];
      const withBot = (offsets: number[]): Uint8Array => {
        const bot = new Uint8Array(offsets.length * 4);
        offsets.forEach((offset, i) => new DataView(bot.buffer).setUint32(i * 4, offset, true));
        return writePart10({
          transferSyntaxUid: TS.rle,
          dataset: [
            ...imageAttributes({ numberOfFrames: 2 }),
            { tag: TAG.pixelData, vr: 'OB', fragments: { bot, fragments: frames } },
          ],
        });
      };
      expect(readPart10Frames(withBot([0, 28])).frames).toEqual(frames);
      expect(part10Error(() => readPart10Frames(withBot([0, 28, 28]))).message).toMatch(/not increasing/);
      expect(part10Error(() => readPart10Frames(withBot([28, 0]))).message).toMatch(/entry 0/);
      // Increasing but not starting at 0: rejected by the entry-0 check itself (a later check
      // would also reject it, which let a mutant of this check survive; docs/testing.md).
      expect(part10Error(() => readPart10Frames(withBot([8, 28]))).message).toMatch(/entry 0 is 8, not 0/);
      expect(part10Error(() => readPart10Frames(withBot([0, 56]))).message).toMatch(/outside/);
      expect(part10Error(() => readPart10Frames(withBot([0, 0xffffffff]))).message).toMatch(/outside/);
    });

    it('takes one fragment per frame when the counts match (any codec)', () => {
      const frames = [noise(21, 1), noise(40, 2), noise(2, 3)].map(padEven);
      const file = encapsulatedInstance({ transferSyntaxUid: TS.rle, frames: frames.map((f) => [f]), table: 'none' });
      expect(readPart10Frames(file).frames).toEqual(frames);
    });

    it('joins all fragments for a single frame', () => {
      const data = noise(100, 7);
      const file = encapsulatedInstance({ transferSyntaxUid: TS.rle, frames: [split(data, 30)], table: 'none' });
      expect(readPart10Frames(file).frames).toEqual([data]);
    });

    it('finds JPEG frame ends from FFD9 markers when fragments outnumber frames, keeping pad bytes', () => {
      const odd = padEven(jpegLike(33, 5));
      expect(odd.length).toBe(34);
      const frames = [jpegLike(60, 1), odd, jpegLike(30, 2)];
      const fragments = [split(frames[0]!, 20), split(odd, 16), [frames[2]!]];
      const file = encapsulatedInstance({ frames: fragments, table: 'none' });
      expect(readPart10Frames(file).frames).toEqual(frames);
    });

    it('finds JPEG 2000 codestream ends the same way', () => {
      const frames = [j2kLike(64, 1), j2kLike(80, 2)];
      const file = encapsulatedInstance({
        transferSyntaxUid: TS.jpeg2000,
        frames: frames.map((f) => split(f, 24)),
        table: 'none',
      });
      expect(readPart10Frames(file).frames).toEqual(frames);
    });

    it('rejects fragments that markers cannot split into frames', () => {
      const file = encapsulatedInstance({
        transferSyntaxUid: TS.rle,
        frames: [split(noise(60, 1), 20), [noise(20, 2)]],
        table: 'none',
      });
      expect(part10Error(() => readPart10Frames(file)).message).toMatch(/Cannot tell where frames end/);
    });

    it('returns zero frames for empty PixelData or NumberOfFrames < 1', () => {
      expect(readPart10Frames(encapsulatedInstance({ frames: [], table: 'none', numberOfFrames: 1 })).frames).toEqual(
        [],
      );
      const zero = encapsulatedInstance({ frames: [[jpegLike(20, 1)]], table: 'bot', numberOfFrames: 0 });
      expect(readPart10Frames(zero).frames).toEqual([]);
      const empty = writePart10({
        transferSyntaxUid: TS.jpegBaseline,
        dataset: [
          ...imageAttributes({ numberOfFrames: 1 }),
          { tag: TAG.pixelData, vr: 'OB', value: new Uint8Array(0) },
        ],
      });
      expect(readPart10Frames(empty).frames).toEqual([]);
    });

    it('rejects encapsulated PixelData with a defined length or without items', () => {
      const defined = writePart10({
        transferSyntaxUid: TS.jpegBaseline,
        dataset: [...imageAttributes({ numberOfFrames: 1 }), { tag: TAG.pixelData, vr: 'OB', value: jpegLike(20, 1) }],
      });
      expect(part10Error(() => readPart10Frames(defined)).message).toMatch(/fragment items missing/);
      const file = encapsulatedInstance({ frames: [[jpegLike(20, 1)]], table: 'none' });
      // Turn the first fragment's item tag (after the empty BOT) into another tag.
      const at = findLast(file, [0xfe, 0xff, 0x00, 0xe0]);
      const broken = file.slice();
      broken[at + 2] = 0x01;
      expect(part10Error(() => readPart10Frames(broken)).message).toMatch(/fragment item/);
    });
  });

  describe('errors', () => {
    it('rejects data that is not DICOM', () => {
      for (const bytes of [new Uint8Array(0), noise(10, 1), noise(400, 2), new TextEncoder().encode('<html></html>')]) {
        expect(part10Error(() => readPart10Frames(bytes)).message).toMatch(/Not DICOM|ends early/);
      }
    });

    it('rejects an element longer than the data, naming it and its offset', () => {
      const file = nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames: nativeFrames(1, 10) });
      const error = part10Error(() => readPart10Frames(file.subarray(0, file.length - 4)));
      expect(error.message).toMatch(/\(7FE0,0010\) at offset \d+ \(length 10\) is longer than the data/);
    });

    it('rejects a file whose meta group has no Transfer Syntax UID', () => {
      const file = writePart10({ transferSyntaxUid: '', dataset: imageAttributes({}) });
      expect(part10Error(() => readPart10Frames(file)).message).toMatch(/no Transfer Syntax UID/);
    });

    it('rejects native PixelData of undefined length and hostile undefined lengths', () => {
      const native = writePart10({
        transferSyntaxUid: TS.explicitLittle,
        dataset: [...imageAttributes({ numberOfFrames: 1 }), ...encapsulatedPixelData([[noise(8, 1)]], 'none')],
      });
      expect(part10Error(() => readPart10Frames(native)).message).toMatch(/undefined length/);
      const hostile = nativeInstance({
        transferSyntaxUid: TS.implicitLittle,
        frames: nativeFrames(1, 8),
        before: [{ tag: 0x00101010, vr: 'AS', value: new Uint8Array(4), lengthOverride: 0xffffffff }],
      });
      part10Error(() => readPart10Frames(hostile));
    });

    it('rejects a truncated deflate stream', () => {
      const file = nativeInstance({ transferSyntaxUid: TS.deflated, frames: nativeFrames(2, 200) });
      expect(part10Error(() => readPart10Frames(file.subarray(0, file.length - 3))).message).toMatch(
        /inflate|ends early/,
      );
    });

    it('never returns wrong frames from a file cut at any offset', () => {
      const tail = el.lo(0x00091001, 'tail'); // 12 bytes after the PixelData
      const cases: [Uint8Array, number][] = [
        [nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames: nativeFrames(2, 10), after: [tail] }), 12],
        [encapsulatedInstance({ frames: [split(jpegLike(30, 1), 10), [jpegLike(12, 2)]], table: 'bot' }), 0],
        [encapsulatedInstance({ frames: [[jpegLike(30, 1)], [jpegLike(12, 2)], [jpegLike(14, 3)]], table: 'none' }), 0],
        [nativeInstance({ transferSyntaxUid: TS.deflated, frames: nativeFrames(2, 10) }), 0],
      ];
      for (const [file, tailLength] of cases) {
        const expected = readPart10Frames(file).frames;
        expect(expected.length).toBeGreaterThan(0);
        const pixelDataEnd = file.length - tailLength;
        let complete = 0;
        for (let cut = 0; cut < file.length; cut += 1) {
          let frames: Uint8Array[];
          try {
            frames = readPart10Frames(file.subarray(0, cut)).frames;
          } catch (error) {
            expect(error).toBeInstanceOf(FrameCacheError);
            expect((error as FrameCacheError).code).toBe('part10');
            continue;
          }
          // A cut at an element boundary before the PixelData looks like a file without one.
          if (frames.length === 0) continue;
          expect(cut).toBeGreaterThanOrEqual(pixelDataEnd);
          expect(frames).toEqual(expected);
          complete += 1;
        }
        expect(complete).toBe(tailLength);
      }
    });

    it('returns a result or a part10 error for mutated bytes, with frames inside the input', () => {
      const files = [
        nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames: nativeFrames(3, 10) }),
        nativeInstance({
          transferSyntaxUid: TS.implicitLittle,
          frames: nativeFrames(2, 12),
          before: [
            el.sq(0x00081115, [[el.lo(0x00100020, 'a')]], { undefinedLength: true, undefinedLengthItems: true }),
          ],
        }),
        nativeInstance({ transferSyntaxUid: TS.explicitBig, frames: nativeFrames(2, 12) }),
        encapsulatedInstance({ frames: [split(jpegLike(30, 1), 10), [jpegLike(12, 2)]], table: 'bot' }),
        encapsulatedInstance({ frames: [[jpegLike(30, 1)], split(jpegLike(22, 2), 8)], table: 'none' }),
        encapsulatedInstance({ frames: [[jpegLike(30, 1)], [jpegLike(22, 2)]], table: 'eot' }),
      ];
      const deflated = nativeInstance({ transferSyntaxUid: TS.deflated, frames: nativeFrames(2, 40) });
      const mutation = fc.record({
        file: fc.integer({ min: 0, max: files.length }),
        edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        cut: fc.option(fc.nat(), { nil: undefined }),
      });
      fc.assert(
        fc.property(mutation, ({ file: index, edits, cut }) => {
          const original = index < files.length ? files[index]! : deflated;
          const bytes = original.slice();
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const input = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
          let frames: Uint8Array[];
          try {
            frames = readPart10Frames(input).frames;
          } catch (error) {
            return error instanceof FrameCacheError && error.code === 'part10';
          }
          // Views into the input, or copies (joined fragments; deflated: the inflated dataset).
          return frames.every(
            (frame) =>
              frame.byteLength > 0 &&
              (isViewInto(frame, input) ||
                (frame.buffer !== input.buffer && (original === deflated || frame.byteLength <= input.length))),
          );
        }),
        { numRuns: 600, seed: 20240607 },
      );
    });
  });
});

function findLast(bytes: Uint8Array, pattern: number[]): number {
  for (let i = bytes.length - pattern.length; i >= 0; i -= 1) {
    if (pattern.every((value, j) => bytes[i + j] === value)) return i;
  }
  throw new Error('pattern not found');
}

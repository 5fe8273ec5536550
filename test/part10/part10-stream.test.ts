import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readPart10Frames } from '../../src/part10/part10.js';
import { Part10StreamReader } from '../../src/part10/part10-stream.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import {
  TS,
  el,
  encapsulatedInstance,
  encapsulatedPixelData,
  TAG,
  j2kLike,
  jpegLike,
  nativeInstance,
  noise,
  padEven,
  split,
  writeWithDcmjs,
} from '../helpers/part10-writer.js';

interface StreamResult {
  frames: Uint8Array[];
  numbers: number[];
  error?: unknown;
  frameCount?: number;
}

function stream(file: Uint8Array, cuts: readonly number[]): StreamResult {
  const result: StreamResult = { frames: [], numbers: [] };
  const reader = new Part10StreamReader((frameNumber, bytes) => {
    result.numbers.push(frameNumber);
    result.frames.push(bytes.slice());
  });
  try {
    let at = 0;
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      reader.push(file.subarray(at, Math.max(at, cut)));
      at = Math.max(at, cut);
    }
    reader.push(file.subarray(at));
    result.frameCount = reader.end().frameCount;
  } catch (error) {
    result.error = error;
  }
  return result;
}

function syncResult(file: Uint8Array): { frames?: Uint8Array[]; error?: unknown } {
  try {
    return { frames: readPart10Frames(file).frames };
  } catch (error) {
    return { error };
  }
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i += 1) {
    for (let j = 0; j < needle.length; j += 1) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('not found');
}

const corpus: [string, Uint8Array][] = [
  [
    'explicit LE',
    nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames: [noise(30, 1), noise(30, 2), noise(30, 3)] }),
  ],
  [
    'implicit LE with sequences',
    nativeInstance({
      transferSyntaxUid: TS.implicitLittle,
      frames: [noise(17, 1), noise(17, 2)],
      before: [
        el.sq(
          0x00081115,
          [[el.lo(0x00100020, 'a'), el.sq(0x00081140, [[]], { undefinedLength: true, undefinedLengthItems: true })]],
          { undefinedLength: true, undefinedLengthItems: true },
        ),
      ],
    }),
  ],
  ['big endian', nativeInstance({ transferSyntaxUid: TS.explicitBig, frames: [noise(24, 1), noise(24, 2)] })],
  ['deflated', nativeInstance({ transferSyntaxUid: TS.deflated, frames: [noise(300, 1), noise(300, 2)] })],
  [
    'implicit under explicit',
    nativeInstance({
      transferSyntaxUid: TS.explicitLittle,
      frames: [noise(20, 1), noise(20, 2)],
      encoding: 'implicit',
    }),
  ],
  ['no preamble', nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames: [noise(20, 1)], preamble: false })],
  [
    'BOT, several fragments per frame',
    encapsulatedInstance({
      frames: [split(jpegLike(50, 1), 16), [jpegLike(20, 2)], split(jpegLike(31, 3), 7)],
      table: 'bot',
    }),
  ],
  [
    'EOT',
    encapsulatedInstance({ frames: [[jpegLike(40, 1)], [padEven(jpegLike(21, 2))], [jpegLike(8, 3)]], table: 'eot' }),
  ],
  [
    'one JPEG per fragment',
    encapsulatedInstance({ frames: [[jpegLike(40, 1)], [jpegLike(22, 2)], [jpegLike(8, 3)]], table: 'none' }),
  ],
  [
    'one RLE per fragment',
    encapsulatedInstance({ transferSyntaxUid: TS.rle, frames: [[noise(40, 1)], [noise(22, 2)]], table: 'none' }),
  ],
  ['single frame, several fragments', encapsulatedInstance({ frames: [split(jpegLike(60, 1), 20)], table: 'none' })],
  [
    'markers',
    encapsulatedInstance({
      frames: [[jpegLike(20, 1)], split(jpegLike(40, 2), 15), [jpegLike(10, 3)], split(padEven(jpegLike(25, 4)), 10)],
      table: 'none',
    }),
  ],
  [
    'J2K markers',
    encapsulatedInstance({
      transferSyntaxUid: TS.jpeg2000,
      frames: [split(j2kLike(40, 1), 12), [j2kLike(20, 2)]],
      table: 'none',
    }),
  ],
  [
    'icon sequence',
    encapsulatedInstance({
      frames: [[jpegLike(30, 1)], [jpegLike(30, 2)]],
      table: 'none',
      before: [
        el.sq(TAG.iconImageSequence, [[...encapsulatedPixelData([[jpegLike(12, 9)]], 'bot')]], {
          undefinedLength: true,
          undefinedLengthItems: true,
        }),
      ],
    }),
  ],
  ['dcmjs', writeWithDcmjs({ transferSyntaxUid: TS.jpegBaseline, frames: [jpegLike(300, 1), jpegLike(120, 2)] })],
];

describe('Part10StreamReader', () => {
  describe('push()', () => {
    it('emits the frames readPart10Frames returns, for any chunking', () => {
      for (const [name, file] of corpus) {
        const expected = readPart10Frames(file).frames;
        expect(expected.length, name).toBeGreaterThan(0);
        fc.assert(
          fc.property(fc.array(fc.nat({ max: file.length }), { maxLength: 12 }), (cuts) => {
            const result = stream(file, cuts);
            expect(result.error, name).toBeUndefined();
            expect(result.frames, name).toEqual(expected);
            expect(result.numbers).toEqual(expected.map((_, i) => i + 1));
            expect(result.frameCount).toBe(expected.length);
          }),
          { numRuns: 40, seed: 7 },
        );
      }
    });

    it('accepts one byte at a time', () => {
      for (const [name, file] of corpus) {
        const result = stream(
          file,
          Array.from({ length: file.length }, (_, i) => i),
        );
        expect(result.frames, name).toEqual(readPart10Frames(file).frames);
      }
    });

    it('fails exactly when readPart10Frames fails, for mutated and cut files', () => {
      const files = corpus.map(([, file]) => file);
      const input = fc.record({
        file: fc.integer({ min: 0, max: files.length - 1 }),
        edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }),
        cut: fc.option(fc.nat(), { nil: undefined }),
        cuts: fc.array(fc.nat(), { maxLength: 6 }),
      });
      fc.assert(
        fc.property(input, ({ file: index, edits, cut, cuts }) => {
          const bytes = files[index]!.slice();
          for (const [at, value] of edits) bytes[at % bytes.length] = value;
          const data = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
          const sync = syncResult(data);
          const streamed = stream(
            data,
            cuts.map((c) => c % (data.length + 1)),
          );
          if (sync.error !== undefined) {
            expect(sync.error).toBeInstanceOf(FrameCacheError);
            expect(streamed.error).toBeInstanceOf(FrameCacheError);
            expect((streamed.error as FrameCacheError).code).toBe('part10');
          } else {
            expect(streamed.error).toBeUndefined();
            expect(streamed.frames).toEqual(sync.frames);
          }
        }),
        { numRuns: 400, seed: 11 },
      );
    });

    it('emits each native frame as soon as its bytes have arrived', () => {
      const frames = [noise(40, 1), noise(40, 2), noise(40, 3)];
      const file = nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames });
      const seen: number[] = [];
      const reader = new Part10StreamReader((n) => seen.push(n));
      const firstEnd = indexOfBytes(file, frames[0]!) + 40;
      reader.push(file.subarray(0, firstEnd - 1));
      expect(seen).toEqual([]);
      reader.push(file.subarray(firstEnd - 1, firstEnd));
      expect(seen).toEqual([1]);
      reader.push(file.subarray(firstEnd, firstEnd + 80));
      expect(seen).toEqual([1, 2, 3]);
      reader.push(file.subarray(firstEnd + 80));
      expect(reader.end()).toMatchObject({ frameCount: 3, numberOfFrames: 3, transferSyntaxUid: TS.explicitLittle });
    });

    it('emits a frame of an offset table once its last fragment has arrived', () => {
      const frames = [jpegLike(50, 1), jpegLike(30, 2)];
      const file = encapsulatedInstance({ frames: [split(frames[0]!, 20), [frames[1]!]], table: 'bot' });
      const seen: number[] = [];
      const reader = new Part10StreamReader((n) => seen.push(n));
      const lastFragment = frames[0]!.subarray(40);
      const firstEnd = indexOfBytes(file, lastFragment) + lastFragment.length;
      reader.push(file.subarray(0, firstEnd - 1));
      expect(seen).toEqual([]);
      reader.push(file.subarray(firstEnd - 1, firstEnd));
      expect(seen).toEqual([1]);
      reader.push(file.subarray(firstEnd));
      expect(seen).toEqual([1, 2]);
      reader.end();
    });

    it('emits whole-codestream fragments early without an offset table, and buffers other fragments until the delimiter', () => {
      const jpeg = [jpegLike(30, 1), jpegLike(30, 2), jpegLike(30, 3)];
      const jpegFile = encapsulatedInstance({ frames: jpeg.map((f) => [f]), table: 'none' });
      const seenJpeg: number[] = [];
      const jpegReader = new Part10StreamReader((n) => seenJpeg.push(n));
      jpegReader.push(jpegFile.subarray(0, indexOfBytes(jpegFile, jpeg[1]!) + 30));
      expect(seenJpeg).toEqual([1, 2]);

      const rle = [noise(30, 1), noise(30, 2)];
      const rleFile = encapsulatedInstance({ transferSyntaxUid: TS.rle, frames: rle.map((f) => [f]), table: 'none' });
      const seenRle: number[] = [];
      const rleReader = new Part10StreamReader((n) => seenRle.push(n));
      rleReader.push(rleFile.subarray(0, rleFile.length - 8));
      expect(seenRle).toEqual([]);
      rleReader.push(rleFile.subarray(rleFile.length - 8));
      expect(seenRle).toEqual([1, 2]);
    });

    it('does not emit the first fragment of a single frame early', () => {
      const frame = jpegLike(40, 1);
      const parts = [frame.subarray(0, 20), frame.subarray(20)];
      parts[0]![18] = 0xff;
      parts[0]![19] = 0xd9; // the first fragment looks like a whole JPEG
      const file = encapsulatedInstance({ frames: [parts], table: 'none' });
      const seen: Uint8Array[] = [];
      const reader = new Part10StreamReader((_, bytes) => seen.push(bytes));
      reader.push(file.subarray(0, file.length - 8));
      expect(seen).toEqual([]);
      reader.push(file.subarray(file.length - 8));
      reader.end();
      expect(seen).toEqual([frame]);
    });

    it('inflates deflated data as it arrives', () => {
      // 4-bit noise: Huffman-coded blocks, which inflate as their bits arrive (stored blocks wait for their end).
      const frames = [noise(5000, 1).map((b) => b & 15), noise(5000, 2).map((b) => b & 15)];
      const file = nativeInstance({ transferSyntaxUid: TS.deflated, frames });
      const seen: Uint8Array[] = [];
      const reader = new Part10StreamReader((_, bytes) => seen.push(bytes));
      reader.push(file.subarray(0, file.length - 1000));
      expect(seen).toEqual([frames[0]]);
      reader.push(file.subarray(file.length - 1000));
      expect(reader.end().frameCount).toBe(2);
      expect(seen).toEqual(frames);
    });

    it('hands out views of the pushed chunk when a frame lies inside it', () => {
      const frames = [noise(64, 1), noise(64, 2)];
      const file = nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames });
      const seen: Uint8Array[] = [];
      const reader = new Part10StreamReader((_, bytes) => seen.push(bytes));
      reader.push(file.subarray(0, 100));
      const rest = file.slice(100);
      reader.push(rest);
      reader.end();
      expect(seen).toEqual(frames);
      expect(seen[1]!.buffer).toBe(rest.buffer);
    });

    it('rethrows an error of onFrame unchanged and stays failed', () => {
      const file = nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames: [noise(10, 1)] });
      const boom = new RangeError('boom');
      const reader = new Part10StreamReader(() => {
        throw boom;
      });
      expect(() => reader.push(file)).toThrow(boom);
      expect(() => reader.end()).toThrow(boom);
    });
  });

  describe('info', () => {
    it('is known once the PixelData header was reached', () => {
      const file = encapsulatedInstance({ frames: [[jpegLike(30, 1)], [jpegLike(30, 2)]], table: 'bot' });
      const reader = new Part10StreamReader(() => {});
      const pixelData = indexOfBytes(file, new Uint8Array([0xe0, 0x7f, 0x10, 0x00]));
      reader.push(file.subarray(0, pixelData + 11));
      expect(reader.info).toBeUndefined();
      reader.push(file.subarray(pixelData + 11, pixelData + 12));
      expect(reader.info).toEqual({
        transferSyntaxUid: TS.jpegBaseline,
        numberOfFrames: 2,
        rows: 16,
        columns: 16,
        sopInstanceUid: '1.2.826.0.1.3680043.10.999.1',
      });
      reader.push(file.subarray(pixelData + 12));
      expect(reader.end()).toEqual({ ...reader.info, frameCount: 2 });
    });

    it('reads Rows and Columns in big endian', () => {
      const reader = new Part10StreamReader(() => {});
      reader.push(nativeInstance({ transferSyntaxUid: TS.explicitBig, frames: [noise(8, 1)] }));
      expect(reader.end()).toMatchObject({ rows: 16, columns: 16, numberOfFrames: 1, frameCount: 1 });
    });
  });

  describe('end()', () => {
    it('throws part10 for a truncated file, keeping the frames emitted before', () => {
      const frames = [noise(40, 1), noise(40, 2)];
      const file = nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames });
      const seen: Uint8Array[] = [];
      const reader = new Part10StreamReader((_, bytes) => seen.push(bytes));
      reader.push(file.subarray(0, file.length - 10));
      let error: unknown;
      try {
        reader.end();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(FrameCacheError);
      expect((error as FrameCacheError).code).toBe('part10');
      expect((error as FrameCacheError).message).toMatch(/ends early at offset \d+/);
      expect(seen).toEqual([frames[0]]);
      expect(() => reader.push(new Uint8Array(4))).toThrow(error as Error);
    });

    it('throws part10 when called twice or followed by push()', () => {
      const reader = new Part10StreamReader(() => {});
      reader.push(nativeInstance({ transferSyntaxUid: TS.explicitLittle, frames: [noise(10, 1)] }));
      reader.end();
      expect(() => reader.end()).toThrow(FrameCacheError);
      expect(() => reader.push(new Uint8Array(1))).toThrow(FrameCacheError);
    });

    it('throws part10 for a truncated deflate stream', () => {
      const file = nativeInstance({ transferSyntaxUid: TS.deflated, frames: [noise(100, 1)] });
      const reader = new Part10StreamReader(() => {});
      reader.push(file.subarray(0, file.length - 2));
      expect(() => reader.end()).toThrow(FrameCacheError);
    });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH } from '../../src/transport/dicomweb-source.js';
import {
  MAX_CHUNK_FRAMES,
  MIN_CHUNK_FRAMES,
  backgroundChunks,
  chunkFrames,
  chunkFramesFor,
  chunkIndexOf,
} from '../../src/core/aligned-chunks.js';

/** A long DICOMweb instance URL: a base and three 64-character UIDs, with /frames/. */
const INSTANCE_URL_CHARS =
  'https://archive.example.org/dicom-web'.length + 3 * 64 + '/studies//series//instances//frames/'.length;

describe('aligned chunks', () => {
  describe('chunkFramesFor()', () => {
    it('is the power of two nearest frameCount / 4 within [32, 2048] and one URL', () => {
      expect(chunkFramesFor(1)).toBe(MIN_CHUNK_FRAMES);
      expect(chunkFramesFor(48)).toBe(MIN_CHUNK_FRAMES);
      expect(chunkFramesFor(192)).toBe(64);
      expect(chunkFramesFor(768)).toBe(256);
      expect(chunkFramesFor(3072)).toBe(1024);
      expect(chunkFramesFor(8192)).toBe(1024); // frameCount / 4 = 2048: its list would not fit
      expect(chunkFramesFor(51200)).toBe(1024);
      expect(chunkFramesFor(5_000_000)).toBe(512);
    });
    it('every chunk of any instance is one request: its URL fits the transport budget', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2_000_000 }), (frameCount) => {
          const size = chunkFramesFor(frameCount);
          expect(size).toBeLessThanOrEqual(MAX_CHUNK_FRAMES);
          // The longest list is a full chunk of the largest frame numbers: the last or the one before.
          const last = chunkIndexOf(frameCount, size);
          const lists = [last - 1, last].filter((k) => k >= 0).map((k) => chunkFrames(k, size, frameCount).join(','));
          const longest = Math.max(...lists.map((list) => list.length));
          expect(longest + INSTANCE_URL_CHARS).toBeLessThanOrEqual(MAX_URL_LENGTH);
        }),
      );
    });
    it('takes an explicit framesPerRequest as it is', () => {
      expect(chunkFramesFor(768, 100)).toBe(100);
    });
  });

  describe('chunkFrames()', () => {
    it('gives chunk k as frames k*C+1 .. min((k+1)*C, N)', () => {
      expect(chunkFrames(0, 4, 10)).toEqual([1, 2, 3, 4]);
      expect(chunkFrames(2, 4, 10)).toEqual([9, 10]);
    });
    it('partitions every instance: each frame in exactly one chunk, the one chunkIndexOf names', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 100 }), (frameCount, size) => {
          const seen = Array.from({ length: frameCount + 1 }, () => 0);
          for (let k = 0; k <= chunkIndexOf(frameCount, size); k++) {
            for (const n of chunkFrames(k, size, frameCount)) {
              seen[n]!++;
              expect(chunkIndexOf(n, size)).toBe(k);
            }
          }
          expect(seen.slice(1).every((c) => c === 1)).toBe(true);
        }),
      );
    });
  });

  describe('backgroundChunks()', () => {
    it('covers the aligned block of each visible frame, nearest chunks first', () => {
      // 768 frames, chunks of 64, blocks of 512 (8 chunks): frames 100 and 140 are in chunks 1 and 2.
      expect(backgroundChunks([100, 140], 768, 64, 500)).toEqual([1, 2, 0, 3, 4, 5, 6, 7]);
      // The second block holds chunks 8..11 only (768 frames).
      expect(backgroundChunks([700], 768, 64, 500)).toEqual([10, 9, 11, 8]);
    });
    it('depends on the visible frames only through their blocks: any order, same set', () => {
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 768 }), { minLength: 1, maxLength: 30 }), (frames) => {
          const a = backgroundChunks(frames, 768, 64, 500);
          const b = backgroundChunks(frames.toReversed(), 768, 64, 500);
          expect(new Set(a)).toEqual(new Set(b));
          for (const n of frames) expect(a).toContain(chunkIndexOf(n, 64));
        }),
      );
    });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createPositionIndex,
  createTiledFullLocator,
  tileIndexAt,
  tilesAcross,
  tilesDown,
  type PositionedFrame,
  type TileGrid,
} from '../../src/slide/tile-index.js';
import { shuffled } from '../helpers/wsi-metadata.js';

const grid: TileGrid = { width: 1000, height: 600, frameWidth: 256, frameHeight: 256 };

describe('tile grid', () => {
  describe('tilesAcross() / tilesDown()', () => {
    it('counts a partial last column and row', () => {
      expect([tilesAcross(grid), tilesDown(grid)]).toEqual([4, 3]);
      expect(tilesAcross({ ...grid, width: 1024 })).toBe(4);
    });
  });

  describe('tileIndexAt()', () => {
    it('gives the row-major index of the tile holding a pixel', () => {
      expect(tileIndexAt(grid, 0, 0)).toBe(0);
      expect(tileIndexAt(grid, 255, 255)).toBe(0);
      expect(tileIndexAt(grid, 256, 0)).toBe(1);
      expect(tileIndexAt(grid, 999, 599)).toBe(11);
      expect(tileIndexAt(grid, 300.7, 256.2)).toBe(5);
    });

    it('answers undefined outside the image and for non-finite input', () => {
      for (const [x, y] of [
        [-0.5, 0],
        [1000, 0],
        [0, 600],
        [Number.NaN, 1],
        [1, -Infinity],
      ] as const) {
        expect(tileIndexAt(grid, x, y)).toBeUndefined();
      }
    });
  });
});

describe('createTiledFullLocator()', () => {
  it('maps tile indexes across parts by their start index, 1-based within each', () => {
    const locate = createTiledFullLocator(grid, [
      { instance: 'b', startIndex: 5, frameCount: 7 },
      { instance: 'a', startIndex: 0, frameCount: 5 },
    ]);
    expect(locate(0, 0)).toEqual({ instance: 'a', frameNumber: 1 });
    expect(locate(0, 256)).toEqual({ instance: 'a', frameNumber: 5 });
    expect(locate(256, 256)).toEqual({ instance: 'b', frameNumber: 1 });
    expect(locate(999, 599)).toEqual({ instance: 'b', frameNumber: 7 });
  });

  it('answers undefined in a gap between parts and past the last frame', () => {
    const locate = createTiledFullLocator(grid, [
      { instance: 'a', startIndex: 0, frameCount: 4 },
      { instance: 'c', startIndex: 8, frameCount: 2 },
    ]);
    expect(locate(0, 256)).toBeUndefined(); // index 4: the missing middle part
    expect(locate(0, 512)).toEqual({ instance: 'c', frameNumber: 1 });
    expect(locate(768, 512)).toBeUndefined(); // index 11, beyond c
    expect(createTiledFullLocator(grid, [])(0, 0)).toBeUndefined();
  });
});

function at(instance: string, frameNumber: number, column: number, row: number): PositionedFrame<string> {
  return { instance, frameNumber, column, row };
}

describe('createPositionIndex()', () => {
  it('finds each tile by its 1-based pixel position, whatever the frame order', () => {
    const frames = [at('a', 1, 769, 513), at('a', 2, 1, 1), at('b', 1, 257, 1)];
    const index = createPositionIndex(grid, frames);
    expect(index.size).toBe(3);
    expect(index.locate(999, 599)).toEqual({ instance: 'a', frameNumber: 1 });
    expect(index.locate(10, 10)).toEqual({ instance: 'a', frameNumber: 2 });
    expect(index.locate(300, 100)).toEqual({ instance: 'b', frameNumber: 1 });
    expect(index.locate(0, 300)).toBeUndefined();
    expect(index.locate(1000, 0)).toBeUndefined();
    expect([...index.instancesUsed]).toEqual(['a', 'b']);
  });

  it('indexes off-grid positions by floor, keeps the first of duplicates and drops outside ones', () => {
    const index = createPositionIndex(grid, [
      at('a', 1, 300, 2), // off grid: tile (1, 0)
      at('a', 2, 257, 1), // same tile: duplicate
      at('a', 3, 1025, 1), // column 4 does not exist
      at('a', 4, 0, 1), // position 0: before the image
    ]);
    expect([index.offGrid, index.duplicates, index.outside, index.size]).toEqual([1, 1, 2, 1]);
    expect(index.locate(256, 0)).toEqual({ instance: 'a', frameNumber: 1 });
  });

  it('hands out a fresh result object on every call', () => {
    const index = createPositionIndex(grid, [at('a', 1, 1, 1)]);
    const first = index.locate(0, 0) as { frameNumber: number };
    first.frameNumber = 99;
    expect(index.locate(0, 0)?.frameNumber).toBe(1);
  });

  it('agrees with TILED_FULL arithmetic for any grid, split and frame order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 1, max: 700 }),
        fc.integer({ min: 16, max: 300 }),
        fc.integer({ min: 16, max: 300 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (width, height, frameWidth, frameHeight, partCount, seed) => {
          const g: TileGrid = { width, height, frameWidth, frameHeight };
          const total = tilesAcross(g) * tilesDown(g);
          const per = Math.ceil(total / partCount);
          const parts = Array.from({ length: partCount }, (_, p) => ({
            instance: `i${p}`,
            startIndex: p * per,
            frameCount: Math.max(0, Math.min(per, total - p * per)),
          }));
          const frames: PositionedFrame<string>[] = [];
          for (const part of parts) {
            for (let n = 1; n <= part.frameCount; n++) {
              const t = part.startIndex + n - 1;
              frames.push({
                instance: part.instance,
                frameNumber: n,
                column: (t % tilesAcross(g)) * frameWidth + 1,
                row: Math.floor(t / tilesAcross(g)) * frameHeight + 1,
              });
            }
          }
          const full = createTiledFullLocator(g, parts);
          const index = createPositionIndex(g, shuffled(frames, seed));
          expect(index.size).toBe(total);
          for (let y = 0; y < height; y += Math.max(1, frameHeight >> 1)) {
            for (let x = 0; x < width; x += Math.max(1, frameWidth >> 1)) {
              expect(index.locate(x, y)).toEqual(full(x, y));
            }
          }
          expect(full(width - 1, height - 1)).toEqual(index.locate(width - 1, height - 1));
        },
      ),
      { numRuns: 150 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { framesForRegion, type TiledLevel } from '../../src/core/prefetch-region.js';

/** A 10 x 8 tile level of 100 px tiles (last column and row partial), row-major, one instance. */
function level(missing: Set<number> = new Set()): TiledLevel {
  const instance = { url: 'https://pacs.example/i', frameCount: 80 };
  return {
    width: 950,
    height: 780,
    frameWidth: 100,
    frameHeight: 100,
    frameAt(x, y) {
      if (x < 0 || y < 0 || x >= 950 || y >= 780) return undefined;
      const n = Math.floor(y / 100) * 10 + Math.floor(x / 100) + 1;
      return missing.has(n) ? undefined : { instance, frameNumber: n };
    },
  };
}

describe('framesForRegion()', () => {
  it('gives the tiles a region overlaps, row-major, with no ring', () => {
    const frames = framesForRegion(level(), { x: 150, y: 50, width: 200, height: 100 }, 0);
    expect(frames.map((f) => f.frameNumber)).toEqual([2, 3, 4, 12, 13, 14]);
    expect(frames.every((f) => f.ring === 0)).toBe(true);
  });
  it('adds rings of tiles around the region, nearest first', () => {
    const frames = framesForRegion(level(), { x: 400, y: 400, width: 100, height: 100 }, 2);
    expect(frames[0]).toMatchObject({ frameNumber: 45, ring: 0 });
    expect(frames.filter((f) => f.ring === 1)).toHaveLength(8);
    expect(frames.filter((f) => f.ring === 2)).toHaveLength(16);
    const rings = frames.map((f) => f.ring);
    expect(rings).toEqual([...rings].sort((a, b) => a - b));
  });
  it('clips at the image edges and includes the partial last column and row', () => {
    const frames = framesForRegion(level(), { x: 900, y: 700, width: 500, height: 500 }, 1);
    expect(frames.filter((f) => f.ring === 0).map((f) => f.frameNumber)).toEqual([80]);
    expect(
      frames
        .filter((f) => f.ring === 1)
        .map((f) => f.frameNumber)
        .sort((a, b) => a - b),
    ).toEqual([69, 70, 79]);
  });
  it('skips tiles a sparse level does not have', () => {
    const frames = framesForRegion(level(new Set([2, 3])), { x: 0, y: 0, width: 300, height: 100 }, 0);
    expect(frames.map((f) => f.frameNumber)).toEqual([1]);
  });
  it('gives nothing for an empty region', () => {
    expect(framesForRegion(level(), { x: 0, y: 0, width: 0, height: 10 }, 3)).toEqual([]);
  });
});

/**
 * Where a pixel's tile lives: the `frameAt` logic of a level. Two ways, as PS3.3 C.7.6.17.3 has it:
 * - TILED_FULL: frames are implicit, row-major over the tile grid (left to right, then top to
 *   bottom; then focal planes, then optical paths), across the instances of a concatenation in
 *   frame-offset order. Pure arithmetic, nothing stored.
 * - Explicit plane positions (TILED_SPARSE, or DimensionOrganizationType absent, as
 *   OrthancWSIDicomizer writes): an index from tile (column, row) to the frame, built once from
 *   each frame's 1-based (column, row) pixel position. A tile nobody encodes is `undefined`.
 */

/** A level's geometry in pixels. */
export interface TileGrid {
  width: number;
  height: number;
  frameWidth: number;
  frameHeight: number;
}

export interface FrameRef<I> {
  instance: I;
  /** 1-based within `instance`. */
  frameNumber: number;
}

/** x = column, y = row, 0-based pixels of the total pixel matrix. */
export type FrameLocator<I> = (x: number, y: number) => FrameRef<I> | undefined;

export function tilesAcross(grid: TileGrid): number {
  return Math.ceil(grid.width / grid.frameWidth);
}

export function tilesDown(grid: TileGrid): number {
  return Math.ceil(grid.height / grid.frameHeight);
}

/** Row-major tile index of the pixel, or `undefined` outside the image or for non-numbers. */
export function tileIndexAt(grid: TileGrid, x: number, y: number): number | undefined {
  if (!Number.isFinite(x) || !Number.isFinite(y)) return undefined;
  const column = Math.floor(x);
  const row = Math.floor(y);
  if (column < 0 || row < 0 || column >= grid.width || row >= grid.height) return undefined;
  return Math.floor(row / grid.frameHeight) * tilesAcross(grid) + Math.floor(column / grid.frameWidth);
}

/** One instance's share of an implicit (TILED_FULL) frame sequence. */
export interface TiledFullPart<I> {
  instance: I;
  /** 0-based index, in the whole sequence, of this instance's frame 1. */
  startIndex: number;
  frameCount: number;
}

/**
 * TILED_FULL: tile index t is frame t of the sequence; the part holding it is the last one
 * starting at or before t (binary search), and t must fall inside it (a gap, e.g. an instance
 * of the concatenation missing from the series, reads as `undefined`).
 */
export function createTiledFullLocator<I>(grid: TileGrid, parts: readonly TiledFullPart<I>[]): FrameLocator<I> {
  const sorted = parts.toSorted((a, b) => a.startIndex - b.startIndex);
  return (x, y) => {
    const index = tileIndexAt(grid, x, y);
    if (index === undefined) return undefined;
    let low = 0;
    let high = sorted.length - 1;
    let found: TiledFullPart<I> | undefined;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const part = sorted[middle] as TiledFullPart<I>;
      if (part.startIndex <= index) {
        found = part;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    if (found === undefined || index >= found.startIndex + found.frameCount) return undefined;
    return { instance: found.instance, frameNumber: index - found.startIndex + 1 };
  };
}

/** A frame with its explicit position: 1-based pixel column and row of its top-left pixel. */
export interface PositionedFrame<I> {
  instance: I;
  frameNumber: number;
  column: number;
  row: number;
}

export interface PositionIndex<I> {
  locate: FrameLocator<I>;
  /** Tiles indexed. */
  size: number;
  /** Frames whose position is not a multiple of the frame size (indexed by floor). */
  offGrid: number;
  /** Frames whose tile already had a frame (the first one is kept). */
  duplicates: number;
  /** Frames positioned outside the total pixel matrix (dropped). */
  outside: number;
  /** Instances that got at least one tile. */
  instancesUsed: Set<I>;
}

/**
 * Builds the tile -> frame index. A position off the tile grid is indexed by
 * floor((position - 1) / frameSize) and counted in `offGrid`; the caller logs the counts.
 */
export function createPositionIndex<I>(grid: TileGrid, frames: Iterable<PositionedFrame<I>>): PositionIndex<I> {
  const across = tilesAcross(grid);
  const down = tilesDown(grid);
  const index = new Map<number, FrameRef<I>>();
  const instancesUsed = new Set<I>();
  let offGrid = 0;
  let duplicates = 0;
  let outside = 0;
  for (const frame of frames) {
    const column0 = frame.column - 1;
    const row0 = frame.row - 1;
    const tileColumn = Math.floor(column0 / grid.frameWidth);
    const tileRow = Math.floor(row0 / grid.frameHeight);
    if (!(tileColumn >= 0 && tileRow >= 0 && tileColumn < across && tileRow < down)) {
      outside++;
      continue;
    }
    if (column0 % grid.frameWidth !== 0 || row0 % grid.frameHeight !== 0) offGrid++;
    const key = tileRow * across + tileColumn;
    if (index.has(key)) {
      duplicates++;
      continue;
    }
    index.set(key, { instance: frame.instance, frameNumber: frame.frameNumber });
    instancesUsed.add(frame.instance);
  }
  return {
    locate: (x, y) => {
      const key = tileIndexAt(grid, x, y);
      const ref = key === undefined ? undefined : index.get(key);
      // A fresh object per call: callers may keep or change what they get.
      return ref === undefined ? undefined : { instance: ref.instance, frameNumber: ref.frameNumber };
    },
    size: index.size,
    offGrid,
    duplicates,
    outside,
    instancesUsed,
  };
}

/**
 * The tiles of a viewport region and of a ring of tiles around it, nearest first: what
 * `prefetch(level, region, { ring })` loads. Pure geometry over a level's tile grid.
 */
import { frameKey } from './frame-key.js';
import type { InstanceRef, Region, TiledLevel } from './types.js';

export type { Region, TiledLevel };

export interface RegionFrame {
  instance: InstanceRef;
  frameNumber: number;
  /** 0 inside the region, k in the k-th ring of tiles around it. */
  ring: number;
}

/**
 * Frames of the tiles overlapping `region` (pixels of the level), then of `ring` rings of tiles
 * around it, each ring in row-major order. Tiles outside the image or missing (sparse) are
 * skipped; a frame appears once.
 */
export function framesForRegion(level: TiledLevel, region: Region, ring: number): RegionFrame[] {
  const { frameWidth: fw, frameHeight: fh } = level;
  const across = Math.ceil(level.width / fw);
  const down = Math.ceil(level.height / fh);
  if (across < 1 || down < 1 || region.width <= 0 || region.height <= 0) return [];
  const c0 = Math.floor(region.x / fw);
  const r0 = Math.floor(region.y / fh);
  const c1 = Math.floor((region.x + region.width - 1) / fw);
  const r1 = Math.floor((region.y + region.height - 1) / fh);
  const out: RegionFrame[] = [];
  const seen = new Set<string>();
  // Rings past every edge of the level add nothing: stop there.
  const last = Math.min(ring, Math.max(c0, r0, across - 1 - c1, down - 1 - r1, 0));
  for (let k = 0; k <= last; k++) {
    for (let r = Math.max(0, r0 - k); r <= Math.min(down - 1, r1 + k); r++) {
      for (let c = Math.max(0, c0 - k); c <= Math.min(across - 1, c1 + k); c++) {
        const distance = Math.max(c < c0 ? c0 - c : c > c1 ? c - c1 : 0, r < r0 ? r0 - r : r > r1 ? r - r1 : 0);
        if (distance !== k) continue;
        const hit = level.frameAt(
          Math.min(c * fw + (fw >> 1), level.width - 1),
          Math.min(r * fh + (fh >> 1), level.height - 1),
        );
        if (hit === undefined) continue;
        const id = frameKey(hit.instance.url, hit.frameNumber);
        if (seen.has(id)) continue;
        seen.add(id);
        out.push({ instance: hit.instance, frameNumber: hit.frameNumber, ring: k });
      }
    }
  }
  return out;
}

// The scripted viewing session of `npm run bench`: a 1920 x 1080 viewport (a pathologist's
// screen) over the 'jpeg' sample (8192 x 6144, six levels), as a pathologist would look at a
// slide: the overview (levels 5 to 2), a zoom into a region two levels down to full resolution,
// a pan across it, a zoom out and a pan at the middle level.
// A viewer keeps the tiles it has drawn (OpenSeadragon's maxImageCacheCount, 200 tiles), so each
// view asks only for the visible tiles it does not hold; both peers replay the same tile list.

const VIEWPORT = { width: 1920, height: 1080 };
const VIEWER_TILE_CACHE = 200;

/**
 * @typedef {{ width: number, height: number, tileWidth: number, tileHeight: number,
 *   instances: { sopInstanceUid: string, frameCount: number }[] }} TraceLevel
 * @typedef {{ label: string, tiles: { instance: { sopInstanceUid: string, frameCount: number }, frameNumber: number }[],
 *   level: { width: number, height: number, tileWidth: number, tileHeight: number, instance: { sopInstanceUid: string, frameCount: number } },
 *   region: { x: number, y: number, width: number, height: number } }} TraceView
 */

/** The viewport's area in `level`'s pixels, clamped to the image as the viewer clamps it. */
function viewRegion(/** @type {TraceLevel} */ level, /** @type {number} */ x, /** @type {number} */ y) {
  const left = Math.max(0, Math.min(x, level.width - VIEWPORT.width));
  const top = Math.max(0, Math.min(y, level.height - VIEWPORT.height));
  return {
    x: left,
    y: top,
    width: Math.min(VIEWPORT.width, level.width - left),
    height: Math.min(VIEWPORT.height, level.height - top),
  };
}

/**
 * Tiles of `level` visible in the viewport whose top-left corner is (x, y) in level pixels,
 * row-major, as frame numbers of the level's single instance (TILED_FULL).
 * @param {TraceLevel} level
 * @param {number} x
 * @param {number} y
 */
function visibleTiles(level, x, y) {
  const across = Math.ceil(level.width / level.tileWidth);
  const down = Math.ceil(level.height / level.tileHeight);
  const left = Math.max(0, Math.min(x, level.width - VIEWPORT.width));
  const top = Math.max(0, Math.min(y, level.height - VIEWPORT.height));
  const col0 = Math.max(0, Math.floor(left / level.tileWidth));
  const row0 = Math.max(0, Math.floor(top / level.tileHeight));
  const col1 = Math.min(across - 1, Math.floor((left + VIEWPORT.width - 1) / level.tileWidth));
  const row1 = Math.min(down - 1, Math.floor((top + VIEWPORT.height - 1) / level.tileHeight));
  /** @type {number[]} */
  const frames = [];
  for (let row = row0; row <= row1; row++) for (let col = col0; col <= col1; col++) frames.push(row * across + col + 1);
  return frames;
}

/**
 * @param {TraceLevel[]} levels  largest first, each in one instance
 * @returns {{ views: TraceView[], tiles: number, distinctTiles: number }}
 */
export function buildViewerTrace(levels) {
  for (const level of levels) {
    if (level.instances.length !== 1) throw new Error('the viewer trace expects one instance per level');
  }
  /** @type {{ label: string, level: number, x: number, y: number, with?: number[] }[]} */
  const steps = [];
  const last = levels.length - 1;
  // 1. Overview, one view: the smallest levels up to the one that fills the viewport.
  let overviewLevel = last;
  while (overviewLevel > 0 && /** @type {TraceLevel} */ (levels[overviewLevel]).width < VIEWPORT.width) overviewLevel--;
  const coarser = Array.from({ length: last - overviewLevel }, (_, k) => last - k);
  steps.push({ label: `overview L${last}-L${overviewLevel}`, level: overviewLevel, x: 0, y: 0, with: coarser });
  // 2. Zoom into a region (centre at 37.5 % / 45 % of the slide) level by level down to the base.
  const centre = { fx: 0.375, fy: 0.45 };
  const at = (/** @type {number} */ i, /** @type {number} */ fx, /** @type {number} */ fy) => {
    const level = /** @type {TraceLevel} */ (levels[i]);
    return {
      x: Math.round(fx * level.width - VIEWPORT.width / 2),
      y: Math.round(fy * level.height - VIEWPORT.height / 2),
    };
  };
  for (let i = overviewLevel - 1; i >= 0; i--)
    steps.push({ label: `zoom in L${i}`, level: i, ...at(i, centre.fx, centre.fy) });
  // 3. Pan across the region at full resolution: 16 steps of 256 px to the right.
  const start = at(0, centre.fx, centre.fy);
  for (let s = 1; s <= 16; s++)
    steps.push({ label: `pan L0 +${s * 256}px`, level: 0, x: start.x + s * 256, y: start.y });
  // 4. Zoom out around where the pan ended.
  const base = /** @type {TraceLevel} */ (levels[0]);
  const end = { fx: (start.x + 16 * 256 + VIEWPORT.width / 2) / base.width, fy: centre.fy };
  const outLevel = Math.min(2, overviewLevel);
  for (let i = 1; i <= outLevel; i++) steps.push({ label: `zoom out L${i}`, level: i, ...at(i, end.fx, end.fy) });
  // 5. Pan at the middle level: 10 steps down and to the left.
  const panFrom = at(1, end.fx, end.fy);
  for (let s = 1; s <= 10; s++)
    steps.push({ label: `pan L1 step ${s}`, level: 1, x: panFrom.x - s * 256, y: panFrom.y + s * 128 });

  /** @type {Map<string, true>} the viewer's own tile cache (LRU) */
  const held = new Map();
  /** @type {TraceView[]} */
  const views = [];
  const distinct = new Set();
  let tiles = 0;
  for (const step of steps) {
    const level = /** @type {TraceLevel} */ (levels[step.level]);
    const instance = /** @type {TraceLevel['instances'][number]} */ (level.instances[0]);
    /** @type {TraceView['tiles']} */
    const wanted = [];
    // Coarser levels first (the overview's), then the step's own level.
    for (const index of [...(step.with ?? []), step.level]) {
      const shown = /** @type {TraceLevel} */ (levels[index]);
      const shownInstance = /** @type {TraceLevel['instances'][number]} */ (shown.instances[0]);
      const whole = index !== step.level;
      for (const frameNumber of visibleTiles(shown, whole ? 0 : step.x, whole ? 0 : step.y)) {
        const key = `${index}:${frameNumber}`;
        distinct.add(key);
        if (held.has(key)) {
          held.delete(key); // touched: most recent again
        } else {
          wanted.push({
            instance: { sopInstanceUid: shownInstance.sopInstanceUid, frameCount: shownInstance.frameCount },
            frameNumber,
          });
        }
        held.set(key, true);
        while (held.size > VIEWER_TILE_CACHE) held.delete(/** @type {string} */ (held.keys().next().value));
      }
    }
    tiles += wanted.length;
    if (wanted.length > 0) {
      views.push({
        label: step.label,
        tiles: wanted,
        level: {
          width: level.width,
          height: level.height,
          tileWidth: level.tileWidth,
          tileHeight: level.tileHeight,
          instance: { sopInstanceUid: instance.sopInstanceUid, frameCount: instance.frameCount },
        },
        region: viewRegion(level, step.x, step.y),
      });
    }
  }
  return { views, tiles, distinctTiles: distinct.size };
}

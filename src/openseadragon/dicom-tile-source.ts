/**
 * An OpenSeadragon TileSource whose tiles are frames of a DICOM slide read and decoded by a
 * `FrameCache` (docs/decoding.md):
 *
 * - OSD level i is the i-th DICOM level, smallest first (`slide.levels` is largest first), with
 *   an explicit `maxLevel` and per-level scale and tile size from the DICOM levels (OSD's own
 *   power-of-two assumption does not hold for every pyramid).
 * - `getTileUrl` is never fetched: it is OSD's tile-cache key, so it is the frame's WADO-RS URL
 *   (it holds the study, series and instance UIDs).
 * - `downloadTileStart` asks the cache for the decoded tile (`getTile`: any syntax, decoded in the
 *   worker) and hands OSD the ImageBitmap; `downloadTileAbort` aborts the wait.
 * - OSD never aborts a started download when its tile leaves the view, so the source does:
 *   every 250 ms it aborts jobs whose tile is off screen (plus a one-tile margin) or finer than
 *   the zoom needs, and marks the tile loadable again. An aborted wait lets the cache drop a
 *   queued request that nobody waits for any more.
 */
import OpenSeadragon from 'openseadragon';
import type { FrameCache } from '../page/frame-cache.js';
import type { Instance, Level, Slide } from '../slide/slide.js';
import { quietAbortedTileErrors } from './osd-console.js';

export interface FrameRef {
  instance: Instance;
  frameNumber: number;
}

export interface TileSourceOptions {
  /** Abort tiles that left the view (checked every `sweepMs`). @default true */
  abortStaleTiles?: boolean;
  /** @default 250 */
  sweepMs?: number;
}

export interface TileJobCounts {
  started: number;
  finished: number;
  failed: number;
  /** Aborted because the tile left the view (or OSD gave up on it). */
  aborted: number;
  pending: number;
}

/** OSD draws a level while one of its pixels covers >= 0.5 screen pixels (minPixelRatio). */
const FINEST_USEFUL_RATIO = 0.25;
/** 'no-wait' returns undefined on a miss: wait for the instance's loads this often before asking normally. */
const NO_WAIT_ROUNDS = 3;

const abortedTiles = new WeakSet<object>();

export class DicomTileSource extends OpenSeadragon.TileSource {
  /** DICOM levels in OSD order: smallest first. */
  readonly dicomLevels: readonly Level[];
  readonly #baseWidth: number;
  readonly #seriesUrl: string;
  readonly #cache: () => FrameCache;
  readonly #options: Required<TileSourceOptions>;
  readonly #pending = new Set<OpenSeadragon.ImageJob>();
  readonly #counts: Omit<TileJobCounts, 'pending'> = { started: 0, finished: 0, failed: 0, aborted: 0 };
  #sweepTimer: ReturnType<typeof setInterval> | undefined;

  constructor(slide: Slide, cache: FrameCache | (() => FrameCache), options: TileSourceOptions = {}) {
    const base = slide.levels[0];
    if (base === undefined) throw new TypeError('The slide has no level to show');
    super({
      width: base.width,
      height: base.height,
      tileWidth: base.frameWidth,
      tileHeight: base.frameHeight,
      tileOverlap: 0,
      minLevel: 0,
      // Required: left out, OSD derives it from log2(width) and asks for levels that do not exist.
      maxLevel: slide.levels.length - 1,
    });
    quietAbortedTileErrors((tile) => abortedTiles.has(tile));
    this.dicomLevels = slide.levels.toReversed();
    this.#baseWidth = base.width;
    this.#seriesUrl = slide.seriesUrl;
    this.#cache = typeof cache === 'function' ? cache : () => cache;
    this.#options = { abortStaleTiles: options.abortStaleTiles ?? true, sweepMs: options.sweepMs ?? 250 };
  }

  /** The DICOM level behind an OSD level. */
  dicomLevel(osdLevel: number): Level {
    const level = this.dicomLevels[osdLevel];
    if (level === undefined) throw new RangeError(`No OpenSeadragon level ${osdLevel}`);
    return level;
  }

  /** The frame holding OSD tile (x, y) of an OSD level; undefined where a sparse level has none. */
  frameRef(osdLevel: number, x: number, y: number): FrameRef | undefined {
    const level = this.dicomLevels[osdLevel];
    if (level === undefined) return undefined;
    return level.frameAt(x * level.frameWidth, y * level.frameHeight);
  }

  jobCounts(): TileJobCounts {
    return { ...this.#counts, pending: this.#pending.size };
  }

  override getLevelScale(level: number): number {
    const dicom = this.dicomLevels[level];
    return dicom === undefined ? 0 : dicom.width / this.#baseWidth;
  }

  override getNumTiles(level: number): OpenSeadragon.Point {
    const dicom = this.dicomLevels[level];
    if (dicom === undefined) return new OpenSeadragon.Point(0, 0);
    return new OpenSeadragon.Point(
      Math.ceil(dicom.width / dicom.frameWidth),
      Math.ceil(dicom.height / dicom.frameHeight),
    );
  }

  override getTileWidth(level: number): number {
    return this.dicomLevels[level]?.frameWidth ?? this.dicomLevels[0]!.frameWidth;
  }

  override getTileHeight(level: number): number {
    return this.dicomLevels[level]?.frameHeight ?? this.dicomLevels[0]!.frameHeight;
  }

  override tileExists(level: number, x: number, y: number): boolean {
    return this.frameRef(level, x, y) !== undefined;
  }

  override getTileUrl(level: number, x: number, y: number): string {
    const ref = this.frameRef(level, x, y);
    // OSD asks for a key even for tiles that do not exist; it never loads them.
    return ref === undefined
      ? `${this.#seriesUrl}#no-tile/${level}/${x}/${y}`
      : `${ref.instance.url}/frames/${ref.frameNumber}`;
  }

  override hasTransparency(): boolean {
    return false;
  }

  override downloadTileStart(job: OpenSeadragon.ImageJob): void {
    const { tile } = job;
    const ref = this.frameRef(tile.level, tile.x, tile.y);
    if (ref === undefined) {
      job.fail(`No frame for tile ${tile.level}/${tile.x}/${tile.y}`, null);
      return;
    }
    const controller = new AbortController();
    (job.userData as { controller?: AbortController }).controller = controller;
    this.#pending.add(job);
    this.#counts.started++;
    this.#startSweeping();
    this.#load(ref, controller.signal).then(
      (bitmap) => {
        if (controller.signal.aborted || this.#endedByOsd(job)) {
          bitmap?.close(); // OSD already failed the job (an abort, or its own timeout)
          return;
        }
        this.#pending.delete(job);
        if (bitmap === undefined) {
          this.#counts.failed++;
          job.fail(`Frame ${ref.frameNumber} of ${ref.instance.url} could not be loaded`, null);
          return;
        }
        this.#counts.finished++;
        job.finish(bitmap, null, 'imageBitmap');
      },
      (error: unknown) => {
        if (controller.signal.aborted || this.#endedByOsd(job)) return;
        this.#pending.delete(job);
        this.#counts.failed++;
        job.fail(error instanceof Error ? error.message : String(error), null);
      },
    );
  }

  override downloadTileAbort(job: OpenSeadragon.ImageJob): void {
    (job.userData as { controller?: AbortController }).controller?.abort();
    if (this.#pending.delete(job)) this.#counts.aborted++;
  }

  /** OSD calls this when a viewer drops the image: end that viewer's jobs. */
  override destroy(viewer: OpenSeadragon.Viewer): void {
    // Deleting the current element while iterating a Set is well defined.
    for (const job of this.#pending) {
      if (this.#endedByOsd(job)) continue;
      if (job.tile.tiledImage?.viewer === viewer || job.tile.tiledImage === null) this.#abortJob(job);
    }
  }

  async #load(ref: FrameRef, signal: AbortSignal): Promise<ImageBitmap | undefined> {
    const cache = this.#cache();
    if (cache.hint !== 'no-wait') return cache.getTile(ref.instance, ref.frameNumber, { signal, priority: 'visible' });
    // 'no-wait' answers a miss with undefined at once and loads in the background: a viewer
    // keeps showing the coarser level meanwhile and asks again when the loads have landed.
    for (let round = 0; round < NO_WAIT_ROUNDS; round++) {
      const bitmap = await cache.getTile(ref.instance, ref.frameNumber, { signal, priority: 'visible' });
      if (bitmap !== undefined) return bitmap;
      await cache.waitForLoads(ref.instance.url, { timeoutMs: 60_000 });
      signal.throwIfAborted();
    }
    return cache.getTile(ref.instance, ref.frameNumber, { signal, hint: 'minimize-requests', priority: 'visible' });
  }

  #startSweeping(): void {
    if (!this.#options.abortStaleTiles) return;
    this.#sweepTimer ??= setInterval(() => {
      for (const job of this.#pending) if (!this.#endedByOsd(job) && this.#isStale(job)) this.#abortJob(job);
      if (this.#pending.size === 0) {
        clearInterval(this.#sweepTimer);
        this.#sweepTimer = undefined;
      }
    }, this.#options.sweepMs);
  }

  /**
   * OSD ended the job itself (its `timeout`: it fails the job, clears `jobId`, and never calls
   * downloadTileAbort): the wait is aborted and the job forgotten, so it is neither failed a
   * second time (OSD's count of jobs in progress would go below zero) nor finished with a
   * bitmap nobody closes.
   */
  #endedByOsd(job: OpenSeadragon.ImageJob): boolean {
    if (job.jobId) return false;
    (job.userData as { controller?: AbortController }).controller?.abort();
    if (this.#pending.delete(job)) this.#counts.aborted++;
    return true;
  }

  #abortJob(job: OpenSeadragon.ImageJob): void {
    const { tile } = job;
    // ImageJob.abort calls downloadTileAbort and fails the job at once (OSD logs that as an
    // error, hence the set), which marks the tile missing for good (tile.exists = false): make
    // it loadable again for when it comes back into view.
    abortedTiles.add(tile);
    try {
      job.abort();
    } finally {
      abortedTiles.delete(tile);
    }
    tile.exists = true;
    tile.loading = false;
  }

  /** Off screen (current and target view, one tile of margin), or finer than the zoom needs. */
  #isStale(job: OpenSeadragon.ImageJob): boolean {
    const { tile } = job;
    const tiledImage = tile.tiledImage;
    if (tiledImage === null) return true;
    const viewport = tiledImage.viewer.viewport;
    const dicom = this.dicomLevels[tile.level];
    if (dicom === undefined) return true;
    const scale = dicom.width / this.#baseWidth;
    const zoom = Math.max(viewport.getZoom(true), viewport.getZoom(false));
    const screenPerLevelPixel = (tiledImage.viewportToImageZoom(zoom) * OpenSeadragon.pixelDensityRatio) / scale;
    if (screenPerLevelPixel < FINEST_USEFUL_RATIO) return true;
    const tileRect = new OpenSeadragon.Rect(
      tile.bounds.x * this.#baseWidth,
      tile.bounds.y * this.#baseWidth,
      tile.bounds.width * this.#baseWidth,
      tile.bounds.height * this.#baseWidth,
    );
    const margin = dicom.frameWidth / scale;
    const grown = (rect: OpenSeadragon.Rect): OpenSeadragon.Rect =>
      new OpenSeadragon.Rect(rect.x - margin, rect.y - margin, rect.width + 2 * margin, rect.height + 2 * margin);
    const current = grown(tiledImage.viewportToImageRectangle(viewport.getBounds(true)));
    const target = grown(tiledImage.viewportToImageRectangle(viewport.getBounds(false)));
    return current.intersection(tileRect) === null && target.intersection(tileRect) === null;
  }
}

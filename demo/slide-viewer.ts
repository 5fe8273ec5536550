/**
 * The OpenSeadragon viewer around a DicomTileSource: toolbar, level label, scale bar, a loading
 * line, and the questions the rest of the page asks (which level is in view, which tiles cover
 * it, is everything drawn).
 */
import OpenSeadragon from 'openseadragon';
import type { Level } from '../src/index.js';
import type { DicomTileSource, FrameRef } from '../src/openseadragon-entry.js';
import { formatMicrometres } from './format.js';

export interface SlideViewerOptions {
  element: HTMLElement;
  drawer: 'canvas' | 'webgl';
}

export interface LevelInView {
  osdLevel: number;
  level: Level;
  /** Screen (device) pixels per pixel of that level. */
  ratio: number;
}

/** The finest level OSD draws is the one whose pixel still covers half a screen pixel (minPixelRatio). */
const MIN_PIXEL_RATIO = 0.5;
const SCALE_BAR_TARGET_PX = 120;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

/**
 * OpenSeadragon injects a <style> element unless one marked data-openseadragon-mobile-css exists;
 * a page whose CSP has no 'unsafe-inline' styles refuses it and logs a violation. A placeholder
 * in a foreign namespace matches OSD's selector without being a style sheet (styles.css carries
 * OSD's one rule).
 */
function preventInlineStyleInjection(): void {
  if (document.querySelector('style[data-openseadragon-mobile-css]') !== null) return;
  const placeholder = document.createElementNS('urn:x-dicomweb-frame-cache-demo', 'style');
  placeholder.setAttribute('data-openseadragon-mobile-css', 'true');
  document.head.append(placeholder);
}

export class SlideViewer {
  readonly viewer: OpenSeadragon.Viewer;
  #source: DicomTileSource | undefined;
  readonly #viewLabel = byId<HTMLElement>('view-label');
  readonly #scaleBar = byId<HTMLElement>('scalebar');
  readonly #scaleBarBar = byId<HTMLElement>('scalebar-bar');
  readonly #scaleBarLabel = byId<HTMLElement>('scalebar-label');
  readonly #loadingLine = byId<HTMLElement>('loading-line');
  readonly #listeners = new Set<() => void>();
  readonly #stage: HTMLElement;

  constructor({ element, drawer }: SlideViewerOptions) {
    preventInlineStyleInjection();
    this.#stage = element.parentElement ?? element;
    this.#stage.classList.add('empty');
    this.viewer = OpenSeadragon({
      element,
      drawer,
      showNavigationControl: false,
      showNavigator: true,
      navigatorPosition: 'BOTTOM_RIGHT',
      navigatorSizeRatio: 0.16,
      navigatorAutoFade: false,
      navigatorBackground: '#181b21',
      navigatorBorderColor: '#5b6170',
      navigatorDisplayRegionColor: '#ffd23f',
      animationTime: 0.6,
      springStiffness: 9,
      maxZoomPixelRatio: 2,
      minZoomImageRatio: 0.8,
      visibilityRatio: 0.2,
      // The whole slide sits below the toolbar and clear of the edges.
      viewportMargins: { top: 56, left: 12, right: 12, bottom: 12 },
      // Tiles wait on the cache (queued requests, retries): OSD's 30 s job timeout is too short.
      timeout: 120_000,
      maxImageCacheCount: 400,
      preserveImageSizeOnResize: true,
      gestureSettingsMouse: { clickToZoom: false, dblClickToZoom: true, scrollToZoom: true },
      // No default prefixUrl images are used (own toolbar), so none are requested.
      prefixUrl: '',
    });
    this.viewer.addHandler('animation', () => this.#refresh());
    this.viewer.addHandler('animation-finish', () => this.#refresh());
    this.viewer.addHandler('open', () => this.#refresh());
    this.viewer.addHandler('resize', () => this.#refresh());
    byId('zoom-in').addEventListener('click', () => this.zoomBy(2));
    byId('zoom-out').addEventListener('click', () => this.zoomBy(0.5));
    byId('zoom-home').addEventListener('click', () => this.viewer.viewport.goHome());
    setInterval(() => {
      this.#loadingLine.hidden = (this.#source?.jobCounts().pending ?? 0) === 0;
    }, 100);
  }

  get source(): DicomTileSource | undefined {
    return this.#source;
  }

  open(source: DicomTileSource): void {
    this.#source = source;
    this.#stage.classList.remove('empty');
    this.viewer.open({ tileSource: source });
  }

  /** Opens another source of the same slide at the current view (OSD's own tile cache starts empty). */
  reopen(source: DicomTileSource): void {
    const bounds = this.viewer.viewport.getBounds();
    this.#source = source;
    this.#stage.classList.remove('empty');
    this.viewer.addOnceHandler('open', () => this.viewer.viewport.fitBounds(bounds, true));
    this.viewer.open({ tileSource: source });
  }

  close(): void {
    this.#source = undefined;
    this.#stage.classList.add('empty');
    this.viewer.close();
    this.#refresh();
  }

  zoomBy(factor: number): void {
    const viewport = this.viewer.viewport;
    viewport.zoomBy(factor);
    viewport.applyConstraints();
  }

  /** Called on every view change (zoom, pan, open, resize). */
  onViewChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  /** The level OSD draws at the current target zoom. */
  levelInView(): LevelInView | undefined {
    const source = this.#source;
    const tiledImage = this.viewer.world.getItemAt(0);
    if (source === undefined || tiledImage === undefined) return undefined;
    const imageZoom =
      tiledImage.viewportToImageZoom(this.viewer.viewport.getZoom(false)) * OpenSeadragon.pixelDensityRatio;
    const base = source.dicomLevels.at(-1)!;
    for (let osdLevel = source.dicomLevels.length - 1; osdLevel >= 0; osdLevel--) {
      const level = source.dicomLevel(osdLevel);
      const ratio = imageZoom / (level.width / base.width);
      if (ratio >= MIN_PIXEL_RATIO || osdLevel === 0) return { osdLevel, level, ratio };
    }
    return undefined;
  }

  /** The level in view and the part of it on screen, in that level's pixels (for prefetch). */
  regionInView(): { level: Level; region: { x: number; y: number; width: number; height: number } } | undefined {
    const source = this.#source;
    const tiledImage = this.viewer.world.getItemAt(0);
    const inView = this.levelInView();
    if (source === undefined || tiledImage === undefined || inView === undefined) return undefined;
    const base = source.dicomLevels.at(-1)!;
    const scale = inView.level.width / base.width;
    const bounds = tiledImage.viewportToImageRectangle(this.viewer.viewport.getBounds(false));
    const x = Math.max(0, bounds.x * scale);
    const y = Math.max(0, bounds.y * scale);
    const width = Math.min(inView.level.width, (bounds.x + bounds.width) * scale) - x;
    const height = Math.min(inView.level.height, (bounds.y + bounds.height) * scale) - y;
    if (width <= 0 || height <= 0) return undefined;
    return { level: inView.level, region: { x, y, width, height } };
  }

  /**
   * The frames a viewer loads to show the current view from cold: the tiles over the view at the
   * level in view and at every coarser level (OSD draws those first while the fine ones arrive).
   */
  tilesInView(): FrameRef[] {
    const source = this.#source;
    const tiledImage = this.viewer.world.getItemAt(0);
    const inView = this.levelInView();
    if (source === undefined || tiledImage === undefined || inView === undefined) return [];
    const base = source.dicomLevels.at(-1)!;
    const bounds = tiledImage.viewportToImageRectangle(this.viewer.viewport.getBounds(false));
    const frames: FrameRef[] = [];
    for (let osdLevel = inView.osdLevel; osdLevel >= 0; osdLevel--) {
      const level = source.dicomLevel(osdLevel);
      const scale = level.width / base.width;
      const x0 = Math.max(0, Math.floor((bounds.x * scale) / level.frameWidth));
      const y0 = Math.max(0, Math.floor((bounds.y * scale) / level.frameHeight));
      const x1 = Math.min(
        Math.ceil(level.width / level.frameWidth),
        Math.ceil(((bounds.x + bounds.width) * scale) / level.frameWidth),
      );
      const y1 = Math.min(
        Math.ceil(level.height / level.frameHeight),
        Math.ceil(((bounds.y + bounds.height) * scale) / level.frameHeight),
      );
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const ref = source.frameRef(osdLevel, x, y);
          if (ref !== undefined) frames.push(ref);
        }
      }
    }
    return frames;
  }

  /** Resolves once the view has stopped moving, every tile it needs is drawn and no tile job is left. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        const viewport = this.viewer.viewport;
        const still =
          viewport.getZoom(true) === viewport.getZoom(false) &&
          viewport.getCenter(true).equals(viewport.getCenter(false));
        const world = this.viewer.world;
        // Nothing open: nothing to draw. Opening: wait for the image to be in the world.
        let loaded = this.#source === undefined || world.getItemCount() > 0;
        for (let i = 0; i < world.getItemCount(); i++) loaded &&= world.getItemAt(i)!.getFullyLoaded();
        if (still && loaded && (this.#source?.jobCounts().pending ?? 0) === 0) resolve();
        else requestAnimationFrame(check);
      };
      check();
    });
  }

  #refresh(): void {
    this.#updateLabels();
    for (const listener of this.#listeners) listener();
  }

  #updateLabels(): void {
    const inView = this.levelInView();
    const source = this.#source;
    if (inView === undefined || source === undefined) {
      this.#viewLabel.textContent = '–';
      this.#scaleBar.hidden = true;
      return;
    }
    const count = source.dicomLevels.length;
    const { level } = inView;
    const base = source.dicomLevels.at(-1)!;
    const downsample = base.width / level.width;
    const imageZoom = (inView.ratio * (level.width / base.width)) / OpenSeadragon.pixelDensityRatio;
    const parts = [
      `Level ${count - inView.osdLevel} of ${count}`,
      `${level.width.toLocaleString('en')} × ${level.height.toLocaleString('en')}`,
      downsample === 1 ? 'full resolution' : `1:${downsample % 1 === 0 ? downsample : downsample.toFixed(1)}`,
    ];
    const spacing = base.pixelSpacingMm?.[1];
    if (spacing !== undefined && spacing > 0) {
      const umPerScreenPixel = (spacing * 1000) / imageZoom;
      // Pathologists read scale as objective power: 40× is about 0.25 µm per pixel.
      parts.push(`≈ ${(10 / umPerScreenPixel).toFixed(umPerScreenPixel > 1 ? 1 : 0)}×`);
      this.#updateScaleBar(umPerScreenPixel);
    } else {
      parts.push(`${(imageZoom * 100).toFixed(imageZoom < 0.1 ? 1 : 0)}%`);
      this.#scaleBar.hidden = true;
    }
    this.#viewLabel.textContent = parts.join(' · ');
  }

  #updateScaleBar(umPerScreenPixel: number): void {
    const target = SCALE_BAR_TARGET_PX * umPerScreenPixel;
    const magnitude = 10 ** Math.floor(Math.log10(target));
    const nice = [5, 2, 1].map((m) => m * magnitude).find((length) => length <= target) ?? magnitude;
    const length = Number(nice.toPrecision(3));
    this.#scaleBarBar.style.width = `${Math.round(length / umPerScreenPixel)}px`;
    this.#scaleBarLabel.textContent = formatMicrometres(length);
    this.#scaleBar.hidden = false;
  }
}

/**
 * The demo page: an OpenSeadragon viewer whose every tile comes through `FrameCache`, with a
 * live panel of what the cache does. The integration is one call: createTileSource(slide, cache)
 * (src/openseadragon-entry.ts).
 */
import { FrameCache, openSlide, type Logger, type Slide } from '../src/index.js';
import { wireControls } from './controls.js';
import { createTileSource } from '../src/openseadragon-entry.js';
import { shortUid } from './format.js';
import { describeSeries, describeStudy, listSlideSeries, listSlideStudies, type SeriesSummary } from './qido.js';
import { headersFor, loadServerConfig, readPageState, writePageState, type SeriesChoice } from './settings.js';
import { SlideViewer } from './slide-viewer.js';
import { StatsPanel } from './stats-panel.js';
import {
  explainUndrawable,
  formatFromTransferSyntax,
  isDrawable,
  sniffFrameFormat,
  type TileFormat,
} from './tile-format.js';

const SPILL = { dbName: 'dicomweb-frame-cache-demo', namespace: 'demo', maxBytes: 1024 * 1024 * 1024 };

const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => console.warn(`[frame-cache] ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[frame-cache] ${message}`, fields ?? ''),
};

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing from index.html`);
  return element as T;
}

function showNotice(title: string, text: string, kind: 'info' | 'error' = 'info'): void {
  const notice = byId('notice');
  byId('notice-title').textContent = title;
  byId('notice-text').textContent = text;
  notice.dataset['kind'] = kind;
  notice.hidden = false;
}

function hideNotice(): void {
  byId('notice').hidden = true;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

window.addEventListener('unhandledrejection', (event) => {
  console.error('[demo] unhandled rejection:', event.reason);
});

const config = await loadServerConfig();
const state = readPageState();
const headers = headersFor(config);

const makeCache = (): FrameCache =>
  new FrameCache({ headers, hint: state.hint, logger, spill: state.spill ? SPILL : false });
let cache = makeCache();
let slide: Slide | undefined;
let format: TileFormat | undefined;
let openToken = 0;

/** Actions started from the page (open a series, switch the cache, clear): settle() waits for them. */
const actions = new Set<Promise<unknown>>();
function track<T>(action: Promise<T>): Promise<T> {
  actions.add(action);
  const done = (): void => void actions.delete(action);
  action.then(done, done);
  return action;
}

const viewer = new SlideViewer({ element: byId('viewer'), drawer: state.drawer });
const panel = new StatsPanel({
  cache: () => cache,
  tileJobs: () => viewer.source?.jobCounts(),
  spillMaxBytes: () => (state.spill ? SPILL.maxBytes : undefined),
});
panel.start();
byId('server-label').textContent = config.serverLabel;

/** A new tile source over the same slide and the current cache, keeping the view. */
function reloadView(): void {
  if (slide === undefined || !isDrawable(format)) return;
  viewer.reopen(createTileSource(slide, () => cache));
}

wireControls({
  viewer,
  cache: () => cache,
  headers,
  hint: state.hint,
  spill: state.spill,
  setHint(hint) {
    state.hint = hint;
    cache.hint = hint;
    writePageState(state);
  },
  setSpill: (on) => track(setSpill(on)),
  clearCache: () =>
    track(
      (async () => {
        await cache.clear({ spill: true });
        reloadView();
        await panel.refresh();
      })(),
    ),
  async resetCounters() {
    await cache.resetStats();
    panel.resetHistory();
    await panel.refresh();
  },
});

async function setSpill(on: boolean): Promise<void> {
  const previous = cache;
  // Off means nothing stays on disk: the old cache empties its IndexedDB tier first.
  if (!on) await previous.clear({ spill: true }).catch(() => undefined);
  state.spill = on;
  writePageState(state);
  cache = makeCache();
  panel.resetHistory();
  reloadView();
  await previous.close();
  await panel.refresh();
}

/** The format of the slide's tiles: from the transfer syntax, else from the bytes of one small frame. */
async function detectFormat(opened: Slide): Promise<TileFormat> {
  const fromSyntax = opened.levels.map((level) => formatFromTransferSyntax(level.transferSyntaxUid));
  const first = fromSyntax[0];
  if (first !== undefined && fromSyntax.every((f) => f?.kind === first.kind)) return first;
  // The smallest level is one or a few frames, and OSD draws it first anyway.
  const smallest = opened.levels.at(-1)!;
  const ref = smallest.frameAt(0, 0);
  if (ref === undefined) throw new Error('The smallest level has no tile at (0, 0)');
  // Whatever the page's hint, this one read must wait for its bytes.
  const bytes = await cache.getFrame(ref.instance, ref.frameNumber, { hint: 'minimize-requests' });
  if (bytes === undefined) throw new Error(`Frame ${ref.frameNumber} of ${ref.instance.url} could not be loaded`);
  return sniffFrameFormat(bytes);
}

function renderLevels(opened: Slide, tileFormat: TileFormat | undefined): void {
  const list = byId('levels');
  list.replaceChildren(
    ...opened.levels.map((level) => {
      const item = document.createElement('li');
      item.dataset['width'] = String(level.width);
      const size = document.createElement('span');
      size.textContent = `${level.width.toLocaleString('en')} × ${level.height.toLocaleString('en')}`;
      const frames = document.createElement('span');
      frames.className = 'levels-note';
      const instances = level.instances.length === 1 ? '' : ` in ${level.instances.length} instances`;
      frames.textContent = `${level.frameCount} frames${instances}`;
      item.append(size, frames);
      return item;
    }),
  );
  byId('slide-format').textContent = tileFormat === undefined ? '' : `${tileFormat.name} · from ${tileFormat.source}`;
  highlightLevel();
}

function highlightLevel(): void {
  const width = viewer.levelInView()?.level.width;
  for (const item of byId('levels').children) {
    (item as HTMLElement).classList.toggle(
      'current',
      width !== undefined && (item as HTMLElement).dataset['width'] === String(width),
    );
  }
}
viewer.onViewChange(highlightLevel);

/**
 * Viewport-driven prefetch: once the view settles, the cache loads the tiles around it (one
 * ring) at low priority, keeps the two coarsest levels pinned so zooming out never shows grey,
 * and drops the queued part of the previous prefetch, so a fast pan leaves nothing stale queued.
 */
let prefetchTimer: ReturnType<typeof setTimeout> | undefined;
/**
 * Open from an animation's start until the prefetch its end armed has been planned: settle()
 * waits for it. OpenSeadragon raises 'animation-finish' one update after the view stops moving,
 * so a view that looks still may not have armed its prefetch yet.
 */
let motion: { settled: Promise<void>; end: () => void } | undefined;
/** Bumped by each animation's start and end: a prefetch of an older one does not end `motion`. */
let motionGeneration = 0;
function openMotion(): void {
  if (motion !== undefined) return;
  let end!: () => void;
  const settled = new Promise<void>((resolve) => (end = resolve));
  motion = { settled, end };
}
function endMotion(generation: number): void {
  if (generation !== motionGeneration) return;
  motion?.end();
  motion = undefined;
}
viewer.viewer.addHandler('animation-start', () => {
  motionGeneration++;
  openMotion();
});
viewer.viewer.addHandler('animation-finish', () => {
  clearTimeout(prefetchTimer);
  openMotion();
  const generation = ++motionGeneration;
  prefetchTimer = setTimeout(async () => {
    try {
      const view = viewer.regionInView();
      if (view === undefined || slide === undefined || !isDrawable(format)) return;
      await cache
        .prefetch(view.level, view.region, { ring: 1, pin: slide.levels.slice(-2) })
        .catch((error: unknown) => {
          console.warn('[demo] prefetch failed:', describeError(error));
        });
    } finally {
      endMotion(generation);
    }
  }, 200);
});
// A closed viewer (another series, a slide it cannot draw, a failed open) stops its update loop:
// an animation it cut short never finishes, and its prefetch is moot.
for (const event of ['close', 'open-failed'] as const) {
  viewer.viewer.addHandler(event, () => {
    clearTimeout(prefetchTimer);
    endMotion(++motionGeneration);
  });
}

async function openSeries(choice: SeriesChoice): Promise<void> {
  const token = ++openToken;
  state.series = choice;
  writePageState(state);
  showNotice('Opening the slide…', `Series ${shortUid(choice.seriesInstanceUid)}: reading its metadata.`);
  const seriesUrl = `${config.dicomWebRoot}/studies/${choice.studyInstanceUid}/series/${choice.seriesInstanceUid}`;
  try {
    const opened = await openSlide(seriesUrl, { headers, logger });
    if (token !== openToken) return;
    if (opened.levels.length === 0) {
      slide = undefined;
      viewer.close();
      byId('levels').replaceChildren();
      showNotice('Not a tiled slide', 'This series has no VOLUME image (a label, overview or non-tiled image only).');
      return;
    }
    const detected = await detectFormat(opened);
    if (token !== openToken) return;
    slide = opened;
    format = detected;
    renderLevels(opened, detected);
    if (!isDrawable(detected)) {
      viewer.close();
      showNotice(`This slide cannot be drawn here: ${detected.name}`, explainUndrawable(detected));
      return;
    }
    hideNotice();
    viewer.open(createTileSource(opened, () => cache));
  } catch (error) {
    if (token !== openToken) return;
    slide = undefined;
    viewer.close();
    showNotice('The slide could not be opened', describeError(error), 'error');
  }
}

async function fillSeries(studyInstanceUid: string, selected?: string): Promise<SeriesSummary[]> {
  const select = byId<HTMLSelectElement>('series-select');
  select.replaceChildren(new Option('Loading…', ''));
  const series = await listSlideSeries(config.dicomWebRoot, studyInstanceUid, headers);
  select.replaceChildren(
    ...(series.length === 0
      ? [new Option('No slide series', '')]
      : series.map((s) => new Option(describeSeries(s), s.seriesInstanceUid))),
  );
  if (selected !== undefined && !series.some((s) => s.seriesInstanceUid === selected))
    select.append(new Option(shortUid(selected), selected));
  select.value = selected ?? series[0]?.seriesInstanceUid ?? '';
  return series;
}

async function startPickers(): Promise<void> {
  const studySelect = byId<HTMLSelectElement>('study-select');
  const seriesSelect = byId<HTMLSelectElement>('series-select');
  let initial = state.series ?? config.defaultSeries;
  try {
    const studies = await listSlideStudies(config.dicomWebRoot, headers);
    byId('server-dot').dataset['state'] = 'ok';
    studySelect.replaceChildren(...studies.map((s) => new Option(describeStudy(s), s.studyInstanceUid)));
    if (initial !== undefined && !studies.some((s) => s.studyInstanceUid === initial!.studyInstanceUid)) {
      studySelect.append(new Option(shortUid(initial.studyInstanceUid), initial.studyInstanceUid));
    }
    const study = initial?.studyInstanceUid ?? studies[0]?.studyInstanceUid;
    if (study === undefined) {
      studySelect.replaceChildren(new Option('No slide studies', ''));
      seriesSelect.replaceChildren();
      showNotice(
        'No slides on this server',
        `QIDO-RS found no study with slide microscopy (SM) series at ${config.dicomWebRoot}.`,
      );
      return;
    }
    studySelect.value = study;
    const series = await fillSeries(study, initial?.seriesInstanceUid);
    initial ??=
      series[0] === undefined ? undefined : { studyInstanceUid: study, seriesInstanceUid: series[0].seriesInstanceUid };
  } catch (error) {
    byId('server-dot').dataset['state'] = 'error';
    if (initial === undefined) {
      showNotice('The server could not be listed', describeError(error), 'error');
      return;
    }
  }
  studySelect.addEventListener('change', () => {
    const study = studySelect.value;
    void track(
      (async () => {
        const series = await fillSeries(study).catch(() => []);
        const first = series[0];
        if (first !== undefined)
          await openSeries({ studyInstanceUid: study, seriesInstanceUid: first.seriesInstanceUid });
      })(),
    );
  });
  seriesSelect.addEventListener('change', () => {
    if (seriesSelect.value !== '')
      void track(openSeries({ studyInstanceUid: studySelect.value, seriesInstanceUid: seriesSelect.value }));
  });
  if (initial !== undefined) await track(openSeries(initial));
}

/** For the console (and the end-to-end test): the viewer, the current cache, and a settle helper. */
const debugHandle = {
  viewer: viewer.viewer,
  slideViewer: viewer,
  get cache(): FrameCache {
    return cache;
  },
  get slide(): Slide | undefined {
    return slide;
  },
  /**
   * Waits until the view is drawn, the prefetch its last move armed has been planned (`motion`),
   * and the cache is idle (spill writes included), then reads the stats.
   */
  async settle() {
    while (actions.size > 0) await Promise.allSettled(actions);
    await viewer.whenIdle();
    // A new animation may start while waiting: `motion` is read again after each wait.
    for (let open = motion; open !== undefined; open = motion) await open.settled;
    await cache.waitForLoads();
    return panel.refresh();
  },
};
(window as unknown as { dwfcDemo: typeof debugHandle }).dwfcDemo = debugHandle;

await track(startPickers());

// dicom-microscopy-viewer 0.48.24, unmodified and set up as its README says (demo/dmv.html), on
// the sample slide in a real Orthanc, in headless Chromium: once without and once with the
// serveFrames Service Worker. Same pixels on the first view; far fewer requests reach Orthanc
// over a pan; every tile request of the viewer answered by the worker.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/lib/chromium.mjs';
import { addVolumeImageType, startDmvPage, type DmvPage } from '../../scripts/lib/dmv-page.mjs';
import { startOrthanc, uploadDicomFiles } from '../../scripts/lib/orthanc.mjs';
import { ensureSampleSlides } from '../../scripts/lib/sample-slides.mjs';

const slide = ensureSampleSlides({ quiet: true }).slides.jpeg;
let orthanc: Awaited<ReturnType<typeof startOrthanc>>;
let dmvPage: DmvPage;
const ZOOMS = 3;
const ARTIFACTS = join(import.meta.dirname, '../../.artifacts/dmv-e2e');
const PANS = 6;

interface Run {
  firstView: Buffer;
  firstViewRequests: number;
  totalRequests: number;
  served?: { served: number; frameRequests: number };
}
const runs: Record<'network' | 'service-worker', Run | undefined> = { network: undefined, 'service-worker': undefined };

beforeAll(async () => {
  orthanc = await startOrthanc({ compression: true });
  await uploadDicomFiles(orthanc, slide.files);
  await addVolumeImageType(orthanc.url, slide.seriesInstanceUid);
  dmvPage = await startDmvPage({ target: orthanc.url });
}, 120_000);
afterAll(async () => {
  await dmvPage?.stop();
  await orthanc?.stop();
});

const frameRequests = (): number => dmvPage.log.filter((e) => e.path.includes('/frames/')).length;

interface Tiles {
  started: number;
  ended: number;
  failed: number;
}
const tilesOf = (page: Page): Promise<Tiles> =>
  page.evaluate(() => (window as unknown as { dmvDemo: { tiles(): Tiles } }).dmvDemo.tiles());

/**
 * Waits until every tile the viewer started is decoded (its own frame_loading events), then
 * until two screenshots in a row are identical with no tile started between them.
 */
async function settledViewport(page: Page): Promise<Buffer> {
  await page.waitForFunction(
    () => {
      const t = (window as unknown as { dmvDemo?: { tiles(): Tiles } }).dmvDemo?.tiles();
      return t !== undefined && t.started > 0 && t.ended >= t.started;
    },
    undefined,
    { timeout: 60_000, polling: 100 },
  );
  let previous: Buffer | undefined;
  let started = -1;
  for (let i = 0; i < 120; i++) {
    const shot = await page.locator('#viewport').screenshot();
    const tiles = await tilesOf(page);
    if (previous !== undefined && shot.equals(previous) && tiles.started === started && tiles.ended >= tiles.started)
      return shot;
    previous = shot;
    started = tiles.started;
    await page.waitForTimeout(100); // poll interval of the condition above
  }
  throw new Error('The viewer did not settle');
}

async function runViewer(mode: 'network' | 'service-worker'): Promise<Run> {
  const profile = mkdtempSync(join(tmpdir(), 'dwfc-dmv-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--headless', ...CHROMIUM_ARGS],
      viewport: { width: 1024, height: 768 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    dmvPage.log.length = 0;
    const sw = mode === 'service-worker' ? '1' : '0';
    await page.goto(
      `${dmvPage.url}/dmv.html?sw=${sw}&study=${slide.studyInstanceUid}&series=${slide.seriesInstanceUid}`,
    );
    await page.waitForFunction(() => document.title === 'dmv rendered', undefined, { timeout: 60_000 });
    const firstView = await settledViewport(page);
    const firstViewRequests = frameRequests();
    const box = (await page.locator('#viewport').boundingBox())!;
    // Zoom in to the base level (the first view shows the whole slide from a coarse one), then pan.
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    for (let i = 0; i < ZOOMS; i++) {
      await page.mouse.wheel(0, -400);
      await settledViewport(page);
    }
    for (let i = 0; i < PANS; i++) {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width / 2 - 300, box.y + box.height / 2 - 120, { steps: 10 });
      await page.mouse.up();
      await settledViewport(page);
    }
    const served =
      mode === 'service-worker'
        ? ((await page.evaluate(() =>
            (window as unknown as { dmvDemo: { stats(): unknown } }).dmvDemo.stats(),
          )) as Run['served'])
        : undefined;
    expect(errors).toEqual([]);
    expect((await tilesOf(page)).failed).toBe(0);
    return {
      firstView,
      firstViewRequests,
      totalRequests: frameRequests(),
      ...(served === undefined ? {} : { served }),
    };
  } finally {
    await context?.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}

describe('dicom-microscopy-viewer, unmodified, with and without serveFrames (Chromium, Orthanc)', () => {
  it('paints the slide and sends one request per tile without the worker', async () => {
    const run = await runViewer('network');
    runs.network = run;
    expect(run.firstViewRequests).toBeGreaterThan(5);
    // Painted: a blank viewport compresses to ~5 KB, the slide's texture to over a megabyte.
    expect(run.firstView.byteLength).toBeGreaterThan(200_000);
    expect(run.totalRequests).toBeGreaterThan(run.firstViewRequests);
  }, 180_000);

  it('with the worker: same pixels, every tile request answered by it, far fewer requests to Orthanc', async () => {
    const run = await runViewer('service-worker');
    runs['service-worker'] = run;
    const network = runs.network!;
    console.log(
      `[dmv-e2e] frame requests to Orthanc, first view, ${ZOOMS} zooms, ${PANS} pans: ${network.totalRequests} without the worker, ${run.totalRequests} with it ` +
        `(first view ${network.firstViewRequests} vs ${run.firstViewRequests}); worker served ${run.served?.served}/${run.served?.frameRequests}`,
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    writeFileSync(join(ARTIFACTS, 'first-view-network.png'), network.firstView);
    writeFileSync(join(ARTIFACTS, 'first-view-service-worker.png'), run.firstView);
    expect(run.firstView.equals(network.firstView), `first view pixels identical (screenshots in ${ARTIFACTS})`).toBe(
      true,
    );
    expect(run.served!.frameRequests).toBeGreaterThan(0);
    expect(run.served!.served).toBe(run.served!.frameRequests);
    expect(run.totalRequests).toBeGreaterThan(0);
    // Bounded by the blocks of the slide (7 here), while per-tile requests grow with the trace.
    expect(run.totalRequests * 10).toBeLessThanOrEqual(network.totalRequests);
  }, 180_000);
});

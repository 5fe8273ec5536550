// dicom-microscopy-viewer 0.48.24, unmodified and set up as its README says (demo/dmv.html), on
// the sample slide in a real Orthanc, in headless Chromium: once without and once with the
// serveFrames Service Worker. Same pixels on the first view; far fewer requests reach Orthanc
// over a pan; every tile request of the viewer answered by the worker.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/lib/chromium.mjs';
import { addVolumeImageType, startDmvPage, type DmvPage } from '../../scripts/lib/dmv-page.mjs';
import { DMV_PANS, DMV_ZOOMS, dmvUrl, openDmv, runDmvSteps } from '../../scripts/lib/dmv-trace.mjs';
import { startOrthanc, uploadDicomFiles } from '../../scripts/lib/orthanc.mjs';
import { ensureSampleSlides } from '../../scripts/lib/sample-slides.mjs';

const slide = ensureSampleSlides({ quiet: true }).slides.jpeg;
let orthanc: Awaited<ReturnType<typeof startOrthanc>>;
let dmvPage: DmvPage;
const ARTIFACTS = join(import.meta.dirname, '../../.artifacts/dmv-e2e');

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
    // The first view is complete (the viewer's own events and its map's rendercomplete, no
    // fixed wait): its pixels are final.
    await openDmv(page, dmvUrl(dmvPage.url, slide, mode === 'service-worker'));
    const firstView = await page.locator('#viewport').screenshot();
    const firstViewRequests = frameRequests();
    // Zoom in to the base level (the first view shows the whole slide from a coarse one), then pan.
    await runDmvSteps(page);
    const served =
      mode === 'service-worker'
        ? ((await page.evaluate(() =>
            (window as unknown as { dmvDemo: { stats(): unknown } }).dmvDemo.stats(),
          )) as Run['served'])
        : undefined;
    const tiles = await page.evaluate(() =>
      (window as unknown as { dmvDemo: { tiles(): { failed: number } } }).dmvDemo.tiles(),
    );
    expect(errors).toEqual([]);
    expect(tiles.failed).toBe(0);
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
      `[dmv-e2e] frame requests to Orthanc, first view, ${DMV_ZOOMS} zooms, ${DMV_PANS} pans: ${network.totalRequests} without the worker, ${run.totalRequests} with it ` +
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
    // The goal: >= 20x fewer. With the worker, one aligned chunk per level visited (5 here, plus a
    // request of the tiles alone for a chunk too long for the link: read-plan.ts); per-tile
    // requests grow with every view.
    expect(run.totalRequests * 20).toBeLessThanOrEqual(network.totalRequests);
  }, 180_000);
});

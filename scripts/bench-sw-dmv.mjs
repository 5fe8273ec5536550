// The dicom-microscopy-viewer rows of `npm run bench:sw`: the unmodified viewer (demo/dmv.html)
// on the sample slide, without and with serveFrames, on loopback and on an emulated
// 80 ms / 40 Mbit/s link (scripts/lib/dmv-page.mjs: HTTP/1.1, per-request delay, one shared
// bandwidth FIFO). Time to the first view (navigation until every tile the viewer started is
// decoded, by its own frame_loading events), to each later view of a zoom-and-pan trace, and
// the frame requests reaching Orthanc.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './lib/chromium.mjs';
import { addVolumeImageType, startDmvPage } from './lib/dmv-page.mjs';

const ZOOMS = 3;
const PANS = 6;

const settled = (page) =>
  page.waitForFunction(
    () => {
      const t = window.dmvDemo?.tiles();
      return t !== undefined && t.started > 0 && t.ended >= t.started;
    },
    undefined,
    { timeout: 120_000, polling: 20 },
  );

/** Two animation frames: the viewer has asked for the tiles of the new view. */
const rendered = (page) =>
  page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

async function runOnce(chromium, dmv, slide, mode) {
  const profile = mkdtempSync(join(tmpdir(), 'dwfc-bench-dmv-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', ...CHROMIUM_ARGS],
    viewport: { width: 1024, height: 768 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const sw = mode === 'service-worker' ? '1' : '0';
    const url = `${dmv.url}/dmv.html?sw=${sw}&study=${slide.studyInstanceUid}&series=${slide.seriesInstanceUid}`;
    if (mode === 'service-worker') {
      // Install the worker first (a returning user): the first view then measures the viewer alone.
      await page.goto(url);
      await settled(page);
      // ...then empty its cache: the measured first view is cold, as without it.
      await page.evaluate(() => window.dmvDemo.reset());
      await page.goto('about:blank');
    }
    dmv.log.length = 0;
    const start = performance.now();
    await page.goto(url);
    await page.waitForFunction(() => document.title === 'dmv rendered', undefined, { timeout: 120_000 });
    await settled(page);
    const firstViewMs = performance.now() - start;
    const box = await page.locator('#viewport').boundingBox();
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const later = [];
    await page.mouse.move(cx, cy);
    for (let i = 0; i < ZOOMS + PANS; i++) {
      const t0 = performance.now();
      if (i < ZOOMS) await page.mouse.wheel(0, -400);
      else {
        await page.mouse.move(cx, cy);
        await page.mouse.down();
        await page.mouse.move(cx - 300, cy - 120, { steps: 5 });
        await page.mouse.up();
      }
      await rendered(page);
      await settled(page);
      later.push(performance.now() - t0);
    }
    return { firstViewMs, laterViewsMs: later, requests: dmv.log.filter((e) => e.path.includes('/frames/')).length };
  } finally {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}

/**
 * @param {{ orthancUrl: string, slide: { studyInstanceUid: string, seriesInstanceUid: string }, runs: number }} options
 */
export async function benchDmv({ orthancUrl, slide, runs }) {
  await addVolumeImageType(orthancUrl, slide.seriesInstanceUid);
  const { chromium } = await import('playwright-core');
  const results = [];
  for (const [linkName, link] of [
    ['loopback', undefined],
    ['80 ms, 40 Mbit/s', { latencyMs: 80, mbps: 40 }],
  ]) {
    const dmv = await startDmvPage({ target: orthancUrl, link });
    try {
      for (let run = 0; run < runs; run++) {
        for (const mode of ['network', 'service-worker'])
          results.push({ link: linkName, mode, run, ...(await runOnce(chromium, dmv, slide, mode)) });
      }
    } finally {
      await dmv.stop();
    }
  }
  return results;
}

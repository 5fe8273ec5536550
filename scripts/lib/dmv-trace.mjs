// The dicom-microscopy-viewer trace shared by the end-to-end test and the bench: open the page
// (demo/dmv.html) until the first view is complete, then zoom in with the wheel and pan with
// drags, each step until its view is complete. "Complete" is the page's probe (demo/dmv-probe.ts):
// the map stopped moving, drew a frame with every viewport tile loaded, and no tile the viewer
// started is still loading. No fixed waits: a view that never completes fails with what is
// pending once nothing has happened for `stallMs`.

/** Wheel zooms from the first view (the whole slide, a coarse level) down to the base level. */
export const DMV_ZOOMS = 3;
/** Drags at the base level, each 300 x 120 px: about 10 new tiles each. */
export const DMV_PANS = 6;
/** No tile event and no frame for this long: a hang (the slowest view measured takes ~3 s). */
export const DMV_STALL_MS = 30_000;

/**
 * The page URL of the viewer on `origin` for a series.
 * @param {string} origin
 * @param {{ studyInstanceUid: string, seriesInstanceUid: string }} series
 * @param {boolean} serviceWorker
 */
export function dmvUrl(origin, series, serviceWorker) {
  return `${origin}/dmv.html?sw=${serviceWorker ? 1 : 0}&study=${series.studyInstanceUid}&series=${series.seriesInstanceUid}`;
}

/**
 * Navigates to `url` and resolves with the probe's first complete view (`at`: ms since
 * navigation start); rejects with the page's own error if it failed to start the viewer.
 * @param {import('playwright-core').Page} page
 * @param {string} url
 * @returns {Promise<{ at: number, moves: number, tiles: { started: number, ended: number, failed: number, firstStartedAt: number, lastEndedAt: number } }>}
 */
export async function openDmv(page, url, stallMs = DMV_STALL_MS) {
  await page.goto(url);
  // The page sets one of the two titles; loading the viewer takes seconds, not minutes.
  await page.waitForFunction(() => document.title === 'dmv rendered' || document.title === 'dmv failed', undefined, {
    timeout: stallMs,
  });
  const failed = await page.evaluate(() =>
    document.title === 'dmv failed' ? String(window.dmvDemo?.error) : undefined,
  );
  if (failed !== undefined) throw new Error(`demo/dmv.html failed to start the viewer: ${failed}`);
  return page.evaluate(([ms]) => window.dmvDemo.settled(0, ms), [stallMs]);
}

/**
 * Runs the zooms and pans from a complete first view; resolves with each step's time from just
 * before its input to its complete view (page clock), in order.
 * @param {import('playwright-core').Page} page
 * @param {{ stallMs?: number, afterStep?: (index: number) => Promise<void> }} [options]
 */
export async function runDmvSteps(page, { stallMs = DMV_STALL_MS, afterStep } = {}) {
  const box = await page.locator('#viewport').boundingBox();
  if (box === null) throw new Error('demo/dmv.html has no #viewport');
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  const times = [];
  for (let i = 0; i < DMV_ZOOMS + DMV_PANS; i++) {
    const [moves, start] = await page.evaluate(() => [window.dmvDemo.moves(), performance.now()]);
    if (i < DMV_ZOOMS) await page.mouse.wheel(0, -400);
    else {
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      await page.mouse.move(cx - 300, cy - 120, { steps: 10 });
      await page.mouse.up();
    }
    const view = await page.evaluate(([m, ms]) => window.dmvDemo.settled(m, ms), [moves, stallMs]);
    times.push(view.at - start);
    await afterStep?.(i);
  }
  return times;
}

// End to end: the demo page (demo/) in headless Chromium, served by the Vite dev server
// (scripts/demo-server.mjs) and, built, by the static server under a strict CSP, reading the
// sample slides from the real Orthanc through the recording proxy (every request logged):
//   Chromium -> demo server /dicom-web -> gate (can hold requests) -> recording proxy -> Orthanc
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startProxy, type TestProxy } from '../../scripts/lib/proxy.mjs';
import { STRICT_CSP } from '../../scripts/serve-static.mjs';
import { decodeTilesInPage, maxRgbDifference, referenceRgb } from './demo-e2e-pixels.js';
import {
  ARTIFACTS_DIR,
  buildDemo,
  cacheRequests,
  launchBrowser,
  paintReport,
  panelValue,
  settle,
  singleFrameRequests,
  startDemoServer,
  startGate,
  waitForSlide,
  type Browser,
  type DemoServer,
  type Gate,
  type PaintReport,
} from './demo-e2e-support.js';

const orthanc = inject('orthanc');
const sample = orthanc.slides.jpeg;
const baseInstanceUid = sample.levels[0]!.instances[0]!.sopInstanceUid;
const query = `?study=${sample.studyInstanceUid}&series=${sample.seriesInstanceUid}`;

/** Largest per-channel difference allowed between Chromium's JPEG decoder and djpeg. */
const JPEG_TOLERANCE = 2;

let proxy: TestProxy;
let gate: Gate;

beforeAll(async () => {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  proxy = await startProxy({ target: orthanc.url });
  gate = await startGate(proxy.url);
});

afterAll(async () => {
  await gate?.stop();
  await proxy?.stop();
});

/** The image area is painted edge to edge with the stained texture: no gap, seam, black or grey tile. */
function expectPainted(report: PaintReport): void {
  expect(report.pixels).toBeGreaterThan(200_000);
  expect(report.unpainted).toBe(0);
  const [r, g, b] = report.meanRgb;
  // Pink stroma and purple nuclei: red and blue well above green.
  expect(r - g).toBeGreaterThan(30);
  expect(b - g).toBeGreaterThan(30);
  expect(report.distinctColours).toBeGreaterThan(500);
}

describe('demo (Vite dev server)', () => {
  let server: DemoServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startDemoServer(['--server', `${gate.url}/dicom-web`, '--port', '0']),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(() => {
    gate.release(); // a failed test must not leave requests held for the next one
    expect(browser.errors, 'console errors and uncaught errors of the page').toEqual([]);
  });

  it('opens the sample slide, paints it, and its panel counts exactly the requests the proxy saw', async () => {
    const { page } = browser;
    proxy.clearLog();
    await page.goto(`${server.url}${query}`);
    await waitForSlide(page);
    const stats = await settle(page);
    expectPainted(await paintReport(page));
    const sent = cacheRequests(proxy.log);
    expect(sent.length).toBeGreaterThan(0);
    expect(stats.requests).toBe(sent.length);
    expect(await panelValue(page, 'requests')).toBe(sent.length);
    expect(await panelValue(page, 'misses')).toBe(stats.misses);
    expect(await page.textContent('#view-label')).toMatch(/^Level \d of 6 · /);
    expect(await page.inputValue('#series-select')).toBe(sample.seriesInstanceUid);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'demo-home.png') });
  });

  it('zoom and pan load new base-level tiles; hits grow; panel and proxy log agree', async () => {
    const { page } = browser;
    const before = await settle(page);
    const baseRequestsBefore = cacheRequests(proxy.log).filter((e) => e.path.includes(baseInstanceUid)).length;
    for (let i = 0; i < 3; i++) await page.click('#zoom-in');
    await settle(page);
    expect(await page.textContent('#view-label')).toMatch(/^Level 1 of 6 · 8,192 × 6,144/);
    expectPainted(await paintReport(page));
    expect(cacheRequests(proxy.log).filter((e) => e.path.includes(baseInstanceUid)).length).toBeGreaterThan(
      baseRequestsBefore,
    );

    const viewer = (await page.$('#viewer'))!;
    const box = (await viewer.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.7);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.3, { steps: 12 });
    await page.mouse.up();
    const after = await settle(page);
    expectPainted(await paintReport(page));
    expect(after.hits).toBeGreaterThan(before.hits);
    expect(after.misses).toBeGreaterThan(before.misses);
    expect(after.requests).toBe(cacheRequests(proxy.log).length);
    expect(await panelValue(page, 'requests')).toBe(after.requests);
    expect(await panelValue(page, 'hits')).toBe(after.hits);
    expect(await panelValue(page, 'cancelled')).toBe(after.cancelled);
    expect(await panelValue(page, 'tilesFinished')).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'demo-zoomed.png') });
  });

  it('compare mode: one request per tile against a few for the cache, as the proxy counts them', async () => {
    const { page } = browser;
    await settle(page);
    proxy.clearLog();
    await page.click('#compare-button');
    await page.waitForSelector('#compare-table[data-state="done"]');
    const perTile = Number(await page.getAttribute('[data-compare="tile-requests"]', 'data-value'));
    const throughCache = Number(await page.getAttribute('[data-compare="cache-requests"]', 'data-value'));
    const tiles = singleFrameRequests(proxy.log).filter((e) => !e.path.includes(','));
    expect(perTile).toBeGreaterThan(10);
    expect(cacheRequests(proxy.log).length).toBe(perTile + throughCache);
    expect(tiles.length).toBeGreaterThanOrEqual(perTile);
    expect(throughCache).toBeGreaterThan(0);
    expect(throughCache * 3).toBeLessThan(perTile);
    expect(await page.textContent('#compare-summary')).toMatch(
      new RegExp(`^${perTile} tiles: ${throughCache} requests? instead of ${perTile}`),
    );
    expect(proxy.log.every((e) => e.status === 200)).toBe(true);
  });

  it('aborts tile loads that leave the view, and loads those tiles again when they come back', async () => {
    const { page } = browser;
    await page.click('#zoom-home');
    await page.click('#clear-button');
    await settle(page);
    gate.hold(baseInstanceUid);
    for (let i = 0; i < 3; i++) await page.click('#zoom-in');
    // Base-level tiles are loading (their requests held back): leave before they arrive.
    await page.waitForFunction(
      () => (window as unknown as DemoHandle).dwfcDemo.slideViewer.source!.jobCounts().pending > 0,
    );
    await expect.poll(() => gate.held(), { timeout: 20_000 }).toBeGreaterThan(0);
    await page.click('#zoom-home');
    await page.waitForFunction(
      () => (window as unknown as DemoHandle).dwfcDemo.slideViewer.source!.jobCounts().aborted > 0,
    );
    gate.release();
    await settle(page);
    expect(await panelValue(page, 'tilesAborted')).toBeGreaterThan(0);
    // The aborted tiles were marked loadable again: coming back paints them.
    for (let i = 0; i < 3; i++) await page.click('#zoom-in');
    await settle(page);
    expect(await page.textContent('#view-label')).toMatch(/^Level 1 of 6/);
    expectPainted(await paintReport(page));
  });

  it('"Preload this level" loads the whole base level and reports its progress', async () => {
    const { page } = browser;
    await page.click('#preload-button');
    await page.waitForSelector('#preload-progress[data-state="done"]');
    expect(await page.textContent('#preload-text')).toMatch(/^Level 8,192 × 6,144: 768 frames in memory, /);
    expect(await page.$eval('#preload-bar', (bar) => (bar as HTMLElement).style.width)).toMatch(/^100(\.0)?%$/);
    const stats = await settle(page);
    expect(stats.memoryBytes).toBeGreaterThan(sample.levels[0]!.instances[0]!.sizeBytes * 0.9);
  });

  it('the hint switch sets cache.hint; with no-wait a cleared cache still paints everything', async () => {
    const { page } = browser;
    await page.click('input[name="hint"][value="no-wait"]');
    expect(await page.evaluate(() => (window as unknown as DemoHandle).dwfcDemo.cache.hint)).toBe('no-wait');
    expect(new URL(page.url()).searchParams.get('hint')).toBe('no-wait');
    await page.click('#clear-button');
    await settle(page);
    expectPainted(await paintReport(page));
    await page.click('input[name="hint"][value="minimize-requests"]');
    expect(await page.evaluate(() => (window as unknown as DemoHandle).dwfcDemo.cache.hint)).toBe('minimize-requests');
  });

  it('with the IndexedDB tier on, a reload paints without a single frame request', async () => {
    const { page } = browser;
    await page.click('#zoom-home');
    await page.click('#spill-toggle + .switch-track');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('spill') === '1');
    const stored = await settle(page);
    expect(stored.spillStoredBytes).toBeGreaterThan(0);
    expect(await panelValue(page, 'spillStoredBytes')).toBe(stored.spillStoredBytes);

    proxy.clearLog();
    await page.reload();
    await waitForSlide(page);
    const stats = await settle(page);
    expectPainted(await paintReport(page));
    expect(cacheRequests(proxy.log)).toEqual([]);
    expect(stats.requests).toBe(0);
    expect(stats.spillHits).toBeGreaterThan(0);
    expect(await page.isChecked('#spill-toggle')).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'demo-reload-from-indexeddb.png') });
  });

  // Lossless syntaxes must match exactly; JPEG within JPEG_TOLERANCE of libjpeg-turbo's djpeg
  // (docs/decoding.md: the same library family, but Chromium's build may take other IDCT /
  // upsampling paths).
  for (const [name, kind] of [
    ['jpeg2000', 'jpeg2000'],
    ['none', 'none'],
    ['split', 'jpeg'],
    ['jpeg', 'jpeg'],
  ] as const) {
    it(`paints the ${name} sample, and its decoded tiles match ${kind === 'jpeg' ? 'djpeg' : kind === 'jpeg2000' ? 'opj_decompress' : 'the raw frames'}`, async () => {
      const { page } = browser;
      const slide = orthanc.slides[name];
      await page.selectOption('#study-select', slide.studyInstanceUid);
      await page.waitForFunction(
        (series) => (window as unknown as DemoHandle).dwfcDemo.slide?.seriesUrl.endsWith(series) === true,
        slide.seriesInstanceUid,
      );
      await waitForSlide(page);
      await settle(page);
      expect(await page.isHidden('#notice')).toBe(true);
      expectPainted(await paintReport(page));
      await page.screenshot({ path: join(ARTIFACTS_DIR, `demo-${name}.png`) });
      const tiles = await decodeTilesInPage(page);
      expect(tiles).toHaveLength(3);
      for (const tile of tiles) {
        expect([tile.width, tile.height]).toEqual([256, 256]);
        const reference = referenceRgb(kind, Buffer.from(tile.frame, 'base64'), tile.width, tile.height);
        const difference = maxRgbDifference(Buffer.from(tile.rgba, 'base64'), reference);
        expect(difference, `frame ${tile.frameNumber}`).toBeLessThanOrEqual(kind === 'jpeg' ? JPEG_TOLERANCE : 0);
      }
    });
  }
});

describe('demo (built, strict Content-Security-Policy, bearer token)', () => {
  const token = 'e2e-token-4f1d2c';
  let server: DemoServer;
  let browser: Browser;
  let outDir: string;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'dwfc-dist-demo-'));
    await buildDemo(outDir);
    gate.seen.length = 0;
    [server, browser] = await Promise.all([
      startDemoServer([
        '--static',
        '--dist',
        outDir,
        '--server',
        `${gate.url}/dicom-web`,
        '--token',
        token,
        '--port',
        '0',
      ]),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true });
  });

  it('paints the slide with no CSP violation, its worker loaded as a file', async () => {
    const { page } = browser;
    proxy.clearLog();
    const response = await page.goto(`${server.url}${query}`);
    expect(response?.headers()['content-security-policy']).toBe(STRICT_CSP);
    await waitForSlide(page);
    const stats = await settle(page);
    expectPainted(await paintReport(page));
    expect(stats.requests).toBe(cacheRequests(proxy.log).length);
    const workers = browser.requests.filter((url) => /\/assets\/frame-cache\.[\w.-]*worker-[\w-]+\.js$/.test(url));
    expect(workers.length).toBeGreaterThan(0);
    expect(workers.every((name) => name.startsWith(new URL(server.url).origin))).toBe(true);
    expect(browser.messages.filter((m) => /Content.Security.Policy|Refused to/i.test(m))).toEqual([]);
    expect(browser.errors).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'demo-strict-csp.png') });
  });

  it('paints the jpeg2000 sample under that policy: the codec and its .wasm loaded as files', async () => {
    const { page } = browser;
    const j2k = orthanc.slides.jpeg2000;
    await page.goto(`${server.url}?study=${j2k.studyInstanceUid}&series=${j2k.seriesInstanceUid}`);
    await waitForSlide(page);
    await settle(page);
    expectPainted(await paintReport(page));
    // The codec's WASM is a file of the build, not base64 inside a script ('AGFzbQ' = "\0asm").
    const assets = readdirSync(join(outDir, 'assets'));
    expect(assets.filter((file) => /^openjpegwasm_decode-[\w-]+\.wasm$/.test(file))).toHaveLength(1);
    const scripts = assets.filter((file) => file.endsWith('.js'));
    expect(scripts.filter((file) => readFileSync(join(outDir, 'assets', file), 'latin1').includes('AGFzbQ'))).toEqual(
      [],
    );
    expect(browser.messages.filter((m) => /Content.Security.Policy|Refused to/i.test(m))).toEqual([]);
    expect(browser.errors).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'demo-strict-csp-jpeg2000.png') });
  });

  it('sends the --token as a bearer token on every DICOMweb request, and never prints it', async () => {
    const { page } = browser;
    await page.reload();
    await waitForSlide(page);
    await settle(page);
    // Everything this page asked for since it was first opened (the first load fetched the frames).
    const dicomWeb = gate.seen.filter((request) => request.path.startsWith('/dicom-web/'));
    expect(
      dicomWeb.some((request) => request.path.includes('/frames/') || /\/instances\/[0-9.]+$/.test(request.path)),
    ).toBe(true);
    expect(dicomWeb.some((request) => request.path.startsWith('/dicom-web/studies?'))).toBe(true);
    expect(dicomWeb.every((request) => request.authorization === `Bearer ${token}`)).toBe(true);
    expect(server.output()).not.toContain(token);
    expect(browser.messages.join('\n')).not.toContain(token);
    expect(browser.errors).toEqual([]);
  });
});

/** The page's debug handle (demo/main.ts), as far as these tests use it. */
interface DemoHandle {
  dwfcDemo: {
    cache: { hint: string };
    viewer: { viewport: { getZoom(current?: boolean): number }; world: { getItemCount(): number } };
    slide?: { seriesUrl: string };
    slideViewer: { source?: { jobCounts(): { pending: number; aborted: number } } };
  };
}

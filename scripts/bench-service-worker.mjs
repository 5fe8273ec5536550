// `npm run bench:sw`: a plain per-tile fetch client (the instance's metadata, then one
// GET …/frames/N per tile, multipart Accept) over a pan trace on the sample slide's 768-frame level, without and with the
// serveFrames Service Worker, in headless Chromium against Orthanc. The page and its worker are
// a production build (bench/service-worker, the worker as its own Rollup input); /dicom-web is
// same-origin, forwarded through a recording proxy that counts the requests reaching Orthanc.
// Then the browser stops the worker (as Chromium does after ~30 s idle) and the first view is
// read again: what survives a stop. Then the dicom-microscopy-viewer rows (bench-sw-dmv.mjs).
// Every row on loopback and on the emulated links of the scheduling work (link-proxy.mjs:
// HTTPS + HTTP/2; the page, its worker and every request cross it). Prints Markdown tables;
// writes .artifacts/bench-sw.json and .artifacts/bench-sw.md.
//   BENCH_SW_RUNS=3  BENCH_SW_PROFILES=loopback,20ms-200mbit,80ms-40mbit  BENCH_SW_DMV=0 (plain rows only)
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createDemoBackend } from './lib/demo-backend.mjs';
import { REPO_ROOT } from './lib/deps.mjs';
import { LINK_PROFILES, makeSelfSignedCertificate, startLinkProxy } from './lib/link-proxy.mjs';
import { startOrthanc, uploadDicomFiles } from './lib/orthanc.mjs';
import { startProxy } from './lib/proxy.mjs';
import { ensureSampleSlides } from './lib/sample-slides.mjs';
import { spkiHash, withFreshProfile } from './lib/sw-bench-browser.mjs';
import { serveStatic } from './serve-static.mjs';
import { DMV_PROFILES, benchDmv } from './bench-sw-dmv.mjs';
import { formatDmvTable, formatPlainTable, median } from './bench-sw-report.mjs';

const RUNS = Number(process.env.BENCH_SW_RUNS ?? 3);
/** BENCH_SW_PROFILES=loopback,80ms-40mbit runs a subset. */
const PROFILES = (process.env.BENCH_SW_PROFILES ?? DMV_PROFILES.join(',')).split(',');
const COLUMNS = 32; // the 8192 x 6144 level in 256-px tiles
const VIEW = { cols: 6, rows: 5 }; // 30 tiles
const PANS = 9; // each shifts the view 2 columns right: 10 new tiles
const OUT = join(REPO_ROOT, '.artifacts', 'bench-sw');

function viewFrames(col0, row0) {
  const frames = [];
  for (let r = row0; r < row0 + VIEW.rows; r++)
    for (let c = col0; c < col0 + VIEW.cols; c++) frames.push(r * COLUMNS + c + 1);
  return frames;
}

const TRACE = Array.from({ length: PANS + 1 }, (_, i) => viewFrames(2 + 2 * i, 6));

async function build() {
  const { build: viteBuild } = await import('vite');
  const root = join(REPO_ROOT, 'bench', 'service-worker');
  await viteBuild({
    configFile: false,
    root,
    base: './',
    logLevel: 'warn',
    build: {
      outDir: join(OUT, 'page'),
      emptyOutDir: true,
      target: 'es2022',
      reportCompressedSize: false,
      rolldownOptions: {
        input: { index: join(root, 'index.html'), sw: join(root, 'sw.ts') },
        output: { entryFileNames: '[name].js' },
      },
    },
  });
  return join(OUT, 'page');
}

/** One run of the plain client trace in a fresh profile: without or with the worker. */
async function runPlain({ spki, origin, proxy, instancePath, mode }) {
  return withFreshProfile({ spki }, async (context, page) => {
    await page.goto(`${origin}/index.html`);
    await page.waitForFunction(() => document.title === 'bench ready');
    if (mode === 'service-worker') await page.evaluate(() => window.bench.register());
    // As a viewer does before its first tiles (untimed, both modes): with the worker in front,
    // it learns the instance's NumberOfFrames from this answer instead of reading it itself.
    await page.evaluate((url) => window.bench.metadata(url), instancePath);
    proxy.clearLog();
    const views = [];
    for (const frames of TRACE)
      views.push(await page.evaluate(([url, f]) => window.bench.view(url, f), [instancePath, frames]));
    const row = {
      firstViewMs: views[0].ms,
      laterViewsMedianMs: median(views.slice(1).map((v) => v.ms)),
      laterViewsMaxMs: Math.max(...views.slice(1).map((v) => v.ms)),
      requests: proxy.log.filter((e) => e.path.includes('/frames/')).length,
      tiles: TRACE.flat().length,
    };
    if (mode === 'service-worker') {
      row.stats = await page.evaluate(() => window.bench.stats());
      // What survives the browser stopping the worker: read the first view again.
      const cdp = await context.newCDPSession(page);
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      proxy.clearLog();
      const again = await page.evaluate(([url, f]) => window.bench.view(url, f), [instancePath, TRACE[0]]);
      row.afterStopMs = again.ms;
      row.afterStopRequests = proxy.log.filter((e) => e.path.includes('/frames/')).length;
      row.afterStopControlled = await page.evaluate(() => window.bench.controlled());
      row.afterStopStats = await page.evaluate(() => window.bench.stats());
    }
    return row;
  });
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const manifest = ensureSampleSlides();
  const slide = manifest.slides.jpeg;
  const orthanc = await startOrthanc({ compression: true });
  const cleanups = [() => orthanc.stop()];
  const started = new Date().toISOString();
  const loadStart = loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  try {
    await uploadDicomFiles(orthanc, slide.files);
    const proxy = await startProxy({ target: orthanc.url });
    cleanups.unshift(() => proxy.stop());
    const dir = await build();
    const server = await serveStatic({
      dir,
      backend: createDemoBackend({ target: `${proxy.url}/dicom-web`, serverLabel: 'bench' }),
      csp: "default-src 'self'; worker-src 'self'; script-src 'self'",
    });
    cleanups.unshift(() => server.close());
    const certificate = makeSelfSignedCertificate();
    const spki = spkiHash(certificate);
    const instance = slide.levels[0].instances[0];
    const instancePath = `/dicom-web/studies/${slide.studyInstanceUid}/series/${slide.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;
    const rows = [];
    for (const link of PROFILES) {
      const profile = LINK_PROFILES[link];
      const linkProxy =
        profile === undefined ? undefined : await startLinkProxy({ target: server.url, ...profile, certificate });
      try {
        const origin = (linkProxy?.url ?? server.url).replace(/\/$/, '');
        for (let run = 0; run < RUNS; run++) {
          for (const mode of ['network', 'service-worker'])
            rows.push({ link, run, mode, ...(await runPlain({ spki, origin, proxy, instancePath, mode })) });
        }
      } finally {
        await linkProxy?.stop();
      }
    }
    const trace = { views: TRACE.length, tiles: TRACE.flat().length };
    const dmvRows =
      process.env.BENCH_SW_DMV === '0'
        ? []
        : await benchDmv({ orthancUrl: orthanc.url, slide, runs: RUNS, profiles: PROFILES });
    const report = [formatPlainTable(rows, trace), ...(dmvRows.length > 0 ? [formatDmvTable(dmvRows)] : [])].join(
      '\n\n',
    );
    const loadEnd = loadavg()
      .map((v) => v.toFixed(2))
      .join(' ');
    const header = `${started}, ${RUNS} runs, profiles ${PROFILES.join(', ')}, load average (1, 5, 15 min) at start ${loadStart}, at end ${loadEnd}`;
    writeFileSync(
      join(OUT, '..', 'bench-sw.json'),
      JSON.stringify({ started, loadStart, loadEnd, runs: RUNS, profiles: PROFILES, trace, rows, dmvRows }, null, 2),
    );
    writeFileSync(join(OUT, '..', 'bench-sw.md'), `${header}\n\n${report}\n`);
    console.log(`\n${header}\n\n${report}\n`);
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

await main();

// `npm run bench:sw`: a plain per-tile fetch client (one GET …/frames/N per tile, multipart
// Accept) over a pan trace on the sample slide's 768-frame level, without and with the
// serveFrames Service Worker, in headless Chromium against Orthanc. The page and its worker are
// a production build (bench/service-worker, the worker as its own Rollup input); /dicom-web is
// same-origin, forwarded through a recording proxy that counts the requests reaching Orthanc.
// Then the browser stops the worker (as Chromium does after ~30 s idle) and the first view is
// read again: what survives a stop. Prints a Markdown table; writes .artifacts/bench-sw.json.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './lib/chromium.mjs';
import { createDemoBackend } from './lib/demo-backend.mjs';
import { REPO_ROOT } from './lib/deps.mjs';
import { startOrthanc, uploadDicomFiles } from './lib/orthanc.mjs';
import { startProxy } from './lib/proxy.mjs';
import { ensureSampleSlides } from './lib/sample-slides.mjs';
import { serveStatic } from './serve-static.mjs';
import { benchDmv } from './bench-sw-dmv.mjs';

const RUNS = Number(process.env.BENCH_SW_RUNS ?? 3);
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

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function main() {
  mkdirSync(OUT, { recursive: true });
  const manifest = ensureSampleSlides();
  const slide = manifest.slides.jpeg;
  const orthanc = await startOrthanc({ compression: true });
  const cleanups = [() => orthanc.stop()];
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
    const instance = slide.levels[0].instances[0];
    const instancePath = `/dicom-web/studies/${slide.studyInstanceUid}/series/${slide.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;
    const { chromium } = await import('playwright-core');
    const rows = [];
    for (let run = 0; run < RUNS; run++) {
      for (const mode of ['network', 'service-worker']) {
        const profile = mkdtempSync(join(tmpdir(), 'dwfc-bench-sw-'));
        const context = await chromium.launchPersistentContext(profile, {
          executablePath: CHROMIUM_PATH,
          headless: true,
          args: ['--headless', ...CHROMIUM_ARGS],
        });
        try {
          const page = context.pages()[0] ?? (await context.newPage());
          await page.goto(`${server.url}index.html`);
          await page.waitForFunction(() => document.title === 'bench ready');
          if (mode === 'service-worker') await page.evaluate(() => window.bench.register());
          proxy.clearLog();
          const views = [];
          for (const frames of TRACE)
            views.push(await page.evaluate(([url, f]) => window.bench.view(url, f), [instancePath, frames]));
          const requests = proxy.log.filter((e) => e.path.includes('/frames/')).length;
          const row = {
            run,
            mode,
            firstViewMs: views[0].ms,
            laterViewsMedianMs: median(views.slice(1).map((v) => v.ms)),
            laterViewsMaxMs: Math.max(...views.slice(1).map((v) => v.ms)),
            requests,
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
          }
          rows.push(row);
        } finally {
          await context.close().catch(() => undefined);
          rmSync(profile, { recursive: true, force: true });
        }
      }
    }
    const summary = {};
    for (const mode of ['network', 'service-worker']) {
      const of = rows.filter((r) => r.mode === mode);
      summary[mode] = {
        firstViewMs: median(of.map((r) => r.firstViewMs)),
        laterViewsMedianMs: median(of.map((r) => r.laterViewsMedianMs)),
        requests: median(of.map((r) => r.requests)),
        ...(mode === 'service-worker'
          ? {
              afterStopMs: median(of.map((r) => r.afterStopMs)),
              afterStopRequests: median(of.map((r) => r.afterStopRequests)),
            }
          : {}),
      };
    }
    writeFileSync(
      join(OUT, '..', 'bench-sw.json'),
      JSON.stringify(
        { trace: { views: TRACE.length, tiles: TRACE.flat().length }, runs: RUNS, rows, summary },
        null,
        2,
      ),
    );
    const n = summary.network;
    const s = summary['service-worker'];
    console.log(
      `\nPer-tile fetch client, ${TRACE.length} views (${TRACE.flat().length} tile GETs), 768-frame level, loopback, median of ${RUNS} runs:\n`,
    );
    console.log(
      '| client | first view | later views (median) | frame requests to Orthanc | first view again after the worker was stopped |',
    );
    console.log('|---|---|---|---|---|');
    console.log(
      `| plain fetch | ${n.firstViewMs.toFixed(0)} ms | ${n.laterViewsMedianMs.toFixed(1)} ms | ${n.requests} | - |`,
    );
    console.log(
      `| + serveFrames | ${s.firstViewMs.toFixed(0)} ms | ${s.laterViewsMedianMs.toFixed(1)} ms | ${s.requests} | ${s.afterStopMs.toFixed(0)} ms, ${s.afterStopRequests} requests |`,
    );
    console.log(
      `\nRequests: ${(n.requests / Math.max(1, s.requests)).toFixed(1)}x fewer; first view ${(n.firstViewMs / s.firstViewMs).toFixed(2)}x.`,
    );

    if (process.env.BENCH_SW_DMV !== '0') {
      const dmvRows = await benchDmv({ orthancUrl: orthanc.url, slide, runs: RUNS });
      writeFileSync(join(OUT, '..', 'bench-sw-dmv.json'), JSON.stringify(dmvRows, null, 2));
      console.log(
        `\ndicom-microscopy-viewer 0.48.24, unmodified: first view, then 3 zooms + 6 pans; median of ${RUNS} runs:\n`,
      );
      console.log(
        '| link | client | first view | later views (median) | later views (max) | frame requests to Orthanc |',
      );
      console.log('|---|---|---|---|---|---|');
      for (const link of new Set(dmvRows.map((r) => r.link))) {
        for (const mode of ['network', 'service-worker']) {
          const of = dmvRows.filter((r) => r.link === link && r.mode === mode);
          const later = of.flatMap((r) => r.laterViewsMs);
          console.log(
            `| ${link} | ${mode === 'network' ? 'DMV alone' : 'DMV + serveFrames'} | ${median(of.map((r) => r.firstViewMs)).toFixed(0)} ms | ` +
              `${median(later).toFixed(0)} ms | ${Math.max(...later).toFixed(0)} ms | ${median(of.map((r) => r.requests))} |`,
          );
        }
      }
    }
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}

await main();

// `npm run bench:decode`: decoding (issue 15). Installs what is missing like `npm test`, makes
// the sample slides once (.data/), starts Orthanc with the jpeg, jpeg2000 and none samples,
// builds bench/decode with Vite (the module from src, the codecs' .wasm as files), serves it
// cross-origin isolated and drives headless Chromium:
//   1. tiles per second per syntax, decoded on the main thread and in a worker by the same code,
//      and through FrameCache.getTile (frames cached, decoded tier off);
//   2. an OpenSeadragon pan over the jpeg2000 sample at full resolution, counting main-thread
//      long tasks (PerformanceObserver 'longtask', > 50 ms) with tiles decoded in the worker
//      (getTile) and, for contrast, on the main thread.
// Prints the tables and writes .data/bench/decode-results.json.
//
//   node scripts/bench-decode.mjs [--tiles N] [--steps N] [--out FILE]
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DEBIAN_PACKAGES, REPO_ROOT, ensureDebianPackages, ensureNpmDeps } from './lib/deps.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const tiles = Number(option('--tiles', '48'));
const steps = Number(option('--steps', '24'));
const out = option('--out', join(REPO_ROOT, '.data', 'bench', 'decode-results.json'));

ensureNpmDeps();
ensureDebianPackages(DEBIAN_PACKAGES);

const { ensureSampleSlides } = await import('./lib/sample-slides.mjs');
const { startOrthanc, uploadDicomFiles } = await import('./lib/orthanc.mjs');
const { launchChromium } = await import('./bench-browser.mjs');
const { startBenchServer } = await import('./bench-server.mjs');
const { build } = await import('vite');

const log = (message) => console.log(`[bench:decode] ${message}`);
const manifest = ensureSampleSlides({ quiet: true });
const pageOut = join(REPO_ROOT, '.data', 'bench', 'decode-page');
log('building bench/decode');
await build({
  configFile: false,
  root: join(REPO_ROOT, 'bench', 'decode'),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: pageOut,
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    assetsInlineLimit: 0,
  },
  worker: { format: 'es' },
});

const orthanc = await startOrthanc({ compression: true });
let server;
let browser;
const stop = async () => {
  await browser?.close().catch(() => undefined);
  await server?.stop().catch(() => undefined);
  await orthanc.stop().catch(() => undefined);
};
process.on('SIGINT', () => void stop().then(() => process.exit(130)));
try {
  const names = ['jpeg', 'jpeg2000', 'none'];
  await uploadDicomFiles(
    orthanc,
    names.flatMap((name) => manifest.slides[name].files),
  );
  server = await startBenchServer({ root: pageOut, target: orthanc.url });
  browser = await launchChromium();
  await browser.open(`${server.url}/index.html`);
  const series = Object.fromEntries(
    names.map((name) => {
      const slide = manifest.slides[name];
      return [name, `${server.url}/dicom-web/studies/${slide.studyInstanceUid}/series/${slide.seriesInstanceUid}`];
    }),
  );
  const page = browser.page;
  const isolated = await page.evaluate(() => globalThis.benchDecode.isolated());
  log(`throughput: ${tiles} tiles of 256 x 256 per syntax`);
  const throughput = await page.evaluate(([s, n]) => globalThis.benchDecode.throughput(s, n), [series, tiles]);
  log(`pan: ${steps} steps over the jpeg2000 sample at full resolution`);
  const pans = [];
  for (const mode of ['idle (no pan)', 'worker (getTile)', 'main thread']) {
    pans.push(
      await page.evaluate(([url, m, k]) => globalThis.benchDecode.pan(url, m, k), [series.jpeg2000, mode, steps]),
    );
  }
  const machine = {
    cpu: os.cpus()[0]?.model ?? '?',
    cores: os.cpus().length,
    node: process.version,
    chromium: (await page.evaluate(() => navigator.userAgent)).match(/Chrome\/([\d.]+)/)?.[1] ?? '?',
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    isolated,
    date: new Date().toISOString(),
  };
  const results = { machine, tiles, steps, throughput, pans, consoleErrors: browser.consoleErrors };
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(formatDecodeReport(results));
  log(`results written to ${out}`);
} finally {
  await stop();
}

/** The markdown tables of a results object. */
export function formatDecodeReport({ machine, tiles: tileCount, throughput, pans }) {
  const rate = (n, ms) => (ms > 0 ? ((n * 1000) / ms).toFixed(0) : '-');
  const lines = [
    `Machine: ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, Chromium ${machine.chromium}, load ${machine.loadAverage}, cross-origin isolated: ${machine.isolated}, ${machine.date}`,
    '',
    `| syntax (${tileCount} tiles, 256 x 256) | main thread tiles/s | worker tiles/s | main ms/tile: mean, median (max) | worker ms/tile: mean, median (max) | worker / main: mean, median | getTile tiles/s, 1 / 8 in flight |`,
    '|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const row of throughput) {
    const perMain = row.main.decodeMs / row.tiles;
    const perWorker = row.worker.decodeMs / row.tiles;
    const getTile =
      row.getTileSerialMs === undefined
        ? ''
        : `${rate(row.tiles, row.getTileSerialMs)} / ${rate(row.tiles, row.getTileParallelMs)}`;
    lines.push(
      `| ${row.syntax} | ${rate(row.tiles, row.main.decodeMs)} | ${rate(row.tiles, row.worker.decodeMs)} | ${perMain.toFixed(2)}, ${row.main.medianMs.toFixed(2)} (${row.main.maxMs.toFixed(1)}) | ${perWorker.toFixed(2)}, ${row.worker.medianMs.toFixed(2)} (${row.worker.maxMs.toFixed(1)}) | ${(perWorker / perMain).toFixed(2)}x, ${(row.worker.medianMs / row.main.medianMs).toFixed(2)}x | ${getTile} |`,
    );
  }
  lines.push(
    '',
    '| pan over the jpeg2000 sample, decoding in | tiles drawn | decodes on the main thread (> 50 ms) | long tasks > 50 ms | longest ms | total ms | home view painted ms |',
    '|---|--:|--:|--:|--:|--:|--:|',
  );
  for (const p of pans) {
    lines.push(
      `| ${p.mode} | ${p.tilesDrawn} | ${p.mainThreadDecodes} (${p.mainThreadDecodesOver50Ms}) | ${p.longTasks} | ${p.longTaskMaxMs.toFixed(0)} | ${p.longTaskTotalMs.toFixed(0)} | ${p.homeViewMs.toFixed(0)} |`,
    );
  }
  lines.push('', 'Long animation frames (> 50 ms): what ran in them (script attribution, summed ms)');
  for (const p of pans) {
    lines.push(
      `- ${p.mode}: ${p.longFramesWithDecoding} frames ran decoding code; ${p.longFrameScripts.map(([k, v]) => `${k} ${v} ms`).join('; ') || 'none'}`,
    );
  }
  return lines.join('\n');
}

// Where the page and the worker spend their time (issue 11 item 4, docs/worker-cost.md): runs one
// bench-page workload in headless Chromium under a browser-wide trace with V8's sampling profiler
// on (every thread: page, dedicated or shared worker), then prints the self and inclusive time of
// the hottest functions per thread. The bench page is built unminified so the names are readable.
//
//   node scripts/profile-worker.mjs hits [--shared] [--iterations N]
//   node scripts/profile-worker.mjs hit-loop [--shared] [--iterations N]   getFrame hits only, hot tier off
//   node scripts/profile-worker.mjs cold [--options JSON] [--fresh]   module read of the 'jpeg' level,
//       then raw fetch of the same requests; --fresh: on a new document (a new SharedWorker that has
//       learned nothing of the link), as the bench's 'default' peer
//   ... [--out trace.json]   also writes the raw trace (open it in DevTools' Performance panel)
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './lib/chromium.mjs';
import { DEBIAN_PACKAGES, ensureDebianPackages, ensureNpmDeps } from './lib/deps.mjs';
import { PAGE_SRC } from './bench-browser.mjs';

const args = process.argv.slice(2);
const mode = args[0];
const flag = (name) => args.includes(name);
const value = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
if (mode !== 'hits' && mode !== 'hit-loop' && mode !== 'cold') {
  console.error(
    'usage: node scripts/profile-worker.mjs hits|hit-loop|cold [--shared] [--iterations N] [--options JSON] [--fresh] [--out FILE]',
  );
  process.exit(2);
}
ensureNpmDeps();
ensureDebianPackages(DEBIAN_PACKAGES);

const { ensureBenchSlides } = await import('./bench-slides.mjs');
const { ensureSampleSlides } = await import('./lib/sample-slides.mjs');
const { startOrthanc, uploadDicomFiles } = await import('./lib/orthanc.mjs');
const { startBenchServer } = await import('./bench-server.mjs');
const { FRAMES_ACCEPT, INSTANCE_ACCEPT } = await import('./bench-runner.mjs');
const { build } = await import('vite');
const { chromium } = await import('playwright-core');

const outDir = join(tmpdir(), `dwfc-profile-page-${process.pid}`);
await build({
  configFile: false,
  root: PAGE_SRC,
  base: './',
  logLevel: 'warn',
  build: { outDir, emptyOutDir: true, target: 'es2022', minify: false, sourcemap: false, reportCompressedSize: false },
  worker: { format: 'es' },
});

const synthetic = ensureBenchSlides();
const sample = mode === 'cold' ? ensureSampleSlides({ quiet: true }).slides.jpeg : undefined;
const orthanc = await startOrthanc({ compression: true, maximumStorageCacheSizeMb: 1024 });
const server = await startBenchServer({ root: outDir });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
try {
  const files = mode === 'cold' ? sample.files : [synthetic.instances['hits-64k'].file];
  await uploadDicomFiles(orthanc, files);
  server.setTarget(orthanc.url);
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error('[page]', m.text()));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.title === 'bench ready');
  const dicomWebUrl = `${server.url}/dicom-web`;

  const categories = ['disabled-by-default-v8.cpu_profiler', 'v8', 'devtools.timeline', '__metadata'];
  let trace;
  if (mode === 'hit-loop') {
    const hits = synthetic.instances['hits-64k'];
    const instanceUrl = `${dicomWebUrl}/studies/${synthetic.studyInstanceUid}/series/${synthetic.seriesInstanceUid}/instances/${hits.sopInstanceUid}`;
    const arg = {
      url: instanceUrl,
      frameCount: hits.frameCount,
      iterations: Number(value('--iterations', '3000')),
      shared: flag('--shared'),
    };
    const setup = async ({ url, frameCount, shared }) => {
      const cache = new globalThis.bench.FrameCache({ shared, hotBytes: 0, wholeInstanceMaxFrames: 0 });
      const all = Array.from({ length: frameCount }, (_, i) => i + 1);
      await cache.preload({ [url]: all });
      await cache.getFrames({ url, frameCount }, all);
      globalThis.profiled = cache;
    };
    const loop = async ({ url, frameCount, iterations }) => {
      const cache = globalThis.profiled;
      const times = [];
      for (let i = 0; i < iterations; i++) {
        const start = performance.now();
        await cache.getFrame({ url, frameCount }, (i % frameCount) + 1);
        times.push(performance.now() - start);
      }
      await cache.close();
      times.sort((a, b) => a - b);
      return { p50Us: times[Math.floor(times.length / 2)] * 1000 };
    };
    await page.evaluate(setup, arg);
    await browser.startTracing(page, { categories });
    console.log(JSON.stringify(await page.evaluate(loop, arg)));
    trace = await browser.stopTracing();
  } else if (mode === 'hits') {
    const series = {
      dicomWebUrl,
      studyInstanceUid: synthetic.studyInstanceUid,
      seriesInstanceUid: synthetic.seriesInstanceUid,
    };
    const hits = synthetic.instances['hits-64k'];
    const instance = { sopInstanceUid: hits.sopInstanceUid, frameCount: hits.frameCount };
    const options = { shared: flag('--shared') };
    const iterations = Number(value('--iterations', '1000'));
    await browser.startTracing(page, { categories });
    const result = await page.evaluate(
      ([s, i, n, o]) => globalThis.bench.measureHits(s, i, n, o),
      [series, instance, iterations, options],
    );
    trace = await browser.stopTracing();
    console.log(JSON.stringify(result, null, 1));
  } else {
    const level0 = sample.levels[0];
    const base = level0.instances[0];
    const frames = Array.from({ length: base.frameCount }, (_, i) => i + 1);
    const target = {
      dicomWebUrl,
      studyInstanceUid: sample.studyInstanceUid,
      seriesInstanceUid: sample.seriesInstanceUid,
      sopInstanceUid: base.sopInstanceUid,
      frameCount: base.frameCount,
      frames,
      concurrency: 16,
    };
    const spec = { kind: 'module', options: JSON.parse(value('--options', '{}')) };
    // One unmeasured read first: Orthanc's storage cache and the JIT warm, as in the bench's warm-up round.
    await page.evaluate(([s, t]) => globalThis.bench.readLevel(s, t, {}), [spec, target]);
    if (flag('--fresh')) {
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => document.title === 'bench ready');
    }
    server.clearLog();
    await browser.startTracing(page, { categories });
    const moduleRead = await page.evaluate(([s, t]) => globalThis.bench.readLevel(s, t, {}), [spec, target]);
    const links = await page.evaluate(async (options) => {
      const cache = new globalThis.bench.FrameCache(options);
      const stats = await cache.stats();
      await cache.close();
      return stats.links;
    }, spec.options);
    const entries = server.log.filter((e) => e.path.includes('/instances/'));
    const span = (list) => Math.max(...list.map((e) => e.endMs)) - Math.min(...list.map((e) => e.startMs));
    const moduleSpan = span(entries);
    await new Promise((r) => setTimeout(r, 200));
    server.clearLog();
    const raw = {
      kind: 'raw',
      concurrency: 4,
      requests: entries.map((e) => ({
        url: `${server.url}${e.path}`,
        accept: e.accept || (e.path.includes('/frames/') ? FRAMES_ACCEPT : INSTANCE_ACCEPT),
      })),
    };
    const rawRead = await page.evaluate(([s, t]) => globalThis.bench.readLevel(s, t, {}), [raw, target]);
    const rawEntries = server.log.filter((e) => e.path.includes('/instances/'));
    const rawSpan = span(rawEntries);
    trace = await browser.stopTracing();
    const timeline = (list) => {
      const t0 = Math.min(...list.map((e) => e.startMs));
      return list
        .map(
          (e) =>
            `  ${String(e.bytes).padStart(9)} B  start +${(e.startMs - t0).toFixed(0)}  ttfb ${e.ttfbMs.toFixed(0)}  end +${(e.endMs - t0).toFixed(0)} ms  ${e.path.split('/').pop()?.slice(0, 40)}`,
        )
        .join('\n');
    };
    console.log(
      `module read ${moduleRead.ms.toFixed(0)} ms (setup ${moduleRead.setupMs?.toFixed(0)} ms, first tile ${moduleRead.firstMs.toFixed(0)} ms, server span ${moduleSpan.toFixed(0)} ms)\n${timeline(entries)}`,
    );
    for (const link of links)
      console.log(
        `  link learned: ${link.samples} samples, first frame ${link.firstFrameMs.toFixed(0)} ms (min ${link.minFirstFrameMs.toFixed(0)}), ${(link.bytesPerMs / 1000).toFixed(0)} kB/ms`,
      );
    console.log(
      `raw fetch of the same requests ${rawRead.ms.toFixed(0)} ms (server span ${rawSpan.toFixed(0)} ms)\n${timeline(rawEntries)}`,
    );
  }
  const out = value('--out', undefined);
  if (out) writeFileSync(out, trace);
  summarize(JSON.parse(trace.toString('utf8')));
} finally {
  await browser.close().catch(() => undefined);
  await server.stop();
  await orthanc.stop();
}

/** Self and inclusive milliseconds per function, per profiled thread. */
function summarize(json) {
  const events = json.traceEvents ?? json;
  const threadNames = new Map();
  for (const e of events)
    if (e.ph === 'M' && e.name === 'thread_name') threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
  const profiles = new Map();
  for (const e of events) {
    if (e.name === 'Profile')
      profiles.set(`${e.pid}:${e.id}`, {
        thread: threadNames.get(`${e.pid}:${e.tid}`) ?? `${e.pid}:${e.tid}`,
        nodes: new Map(),
        samples: [],
        deltas: [],
      });
  }
  for (const e of events) {
    if (e.name !== 'ProfileChunk') continue;
    const p = profiles.get(`${e.pid}:${e.id}`);
    const data = e.args?.data;
    if (!p || !data) continue;
    for (const node of data.cpuProfile?.nodes ?? []) p.nodes.set(node.id, node);
    p.samples.push(...(data.cpuProfile?.samples ?? []));
    p.deltas.push(...(data.timeDeltas ?? []));
  }
  for (const p of profiles.values()) {
    const self = new Map();
    const inclusive = new Map();
    let total = 0;
    const name = (node) => {
      const f = node.callFrame;
      const file = (f.url ?? '').split('/').pop();
      return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    };
    for (let i = 0; i < p.samples.length; i++) {
      const ms = (p.deltas[i + 1] ?? 0) / 1000;
      let node = p.nodes.get(p.samples[i]);
      if (!node) continue;
      const key = name(node);
      if (key === '(idle)') continue;
      total += ms;
      self.set(key, (self.get(key) ?? 0) + ms);
      const seen = new Set();
      while (node) {
        const k = name(node);
        if (!seen.has(k)) {
          seen.add(k);
          inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
        }
        node = node.parent === undefined ? undefined : p.nodes.get(node.parent);
      }
    }
    if (total < 5) continue;
    const top = (map) =>
      [...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 25)
        .map(([k, v]) => `  ${v.toFixed(1).padStart(8)} ms  ${k}`)
        .join('\n');
    console.log(
      `\n=== ${p.thread}: ${total.toFixed(0)} ms busy\n-- self\n${top(self)}\n-- inclusive\n${top(inclusive)}`,
    );
  }
}

// Where the page and the worker spend their time (issue 11 item 4, docs/worker-cost.md): runs one
// bench-page workload in headless Chromium under a browser-wide trace with V8's sampling profiler
// on (every thread: page, dedicated or shared worker), then prints the self and inclusive time of
// the hottest functions per thread. The bench page is built unminified so the names are readable.
//
//   node scripts/profile-worker.mjs hits [--shared] [--iterations N]
//   node scripts/profile-worker.mjs hit-loop [--shared] [--iterations N]   getFrame hits only, hot tier off
//   node scripts/profile-worker.mjs cold [--options JSON] [--fresh] [--timeline]   module read of the
//       'jpeg' level, then raw fetch of the same requests; --fresh: on a new document (a new
//       SharedWorker that has learned nothing of the link), as the bench's 'default' peer; each
//       thread's busy time is also printed for the module's read alone; --floor: before the
//       module's read, on a new document, its floor (e'': the same requests, the visible one
//       first, through the bare SharedWorker doing the unavoidable work), both workers profiled
//       from their start (the module's read then runs on that document, a new SharedWorker)
//   node scripts/profile-worker.mjs first-view [--wait MS] [--options JSON]   a fresh page builds a FrameCache and, as
//       soon as its worker answers (or MS later), reads the viewer trace's first view; prints the
//       busy time per thread from the end of setup to the view's end, by trace event and function
//   ... [--out trace.json]   also writes the raw trace (open it in DevTools' Performance panel)
//   ... [--heap]   shared mode: also what each SharedWorker allocated from its start, by call site
//       (V8's sampling heap profiler, freed objects included: the garbage its collections go through)
// In shared mode (the default of cold and first-view; --shared for the hit modes) the
// SharedWorker's thread is not in a browser-wide trace (another process): it is profiled over the
// DevTools protocol instead (scripts/lib/shared-worker-profiler.mjs) and printed as its own thread.
// Its profile covers the worker from when it was first seen to the end of the run (its start-up
// and the engine's build included, unlike the trace's window). In first-view mode the view starts
// once that profiler runs.
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
if (mode !== 'hits' && mode !== 'hit-loop' && mode !== 'cold' && mode !== 'first-view') {
  console.error(
    'usage: node scripts/profile-worker.mjs hits|hit-loop|cold|first-view [--shared] [--iterations N] [--options JSON] [--fresh] [--floor] [--wait MS] [--timeline] [--heap] [--out FILE]',
  );
  process.exit(2);
}
/** Every SharedWorker profiler of the run: with --heap, also the allocations. */
const profilerOptions = { heap: flag('--heap') };
ensureNpmDeps();
ensureDebianPackages(DEBIAN_PACKAGES);

const { ensureBenchSlides } = await import('./bench-slides.mjs');
const { ensureSampleSlides } = await import('./lib/sample-slides.mjs');
const { startOrthanc, uploadDicomFiles } = await import('./lib/orthanc.mjs');
const { startBenchServer } = await import('./bench-server.mjs');
const { FRAMES_ACCEPT, INSTANCE_ACCEPT } = await import('./bench-runner.mjs');
const { build } = await import('vite');
const { profileSharedWorkers } = await import('./lib/shared-worker-profiler.mjs');
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
const sample = mode === 'cold' || mode === 'first-view' ? ensureSampleSlides({ quiet: true }).slides.jpeg : undefined;
const orthanc = await startOrthanc({ compression: true, maximumStorageCacheSizeMb: 1024 });
const server = await startBenchServer({ root: outDir });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
try {
  const files = mode === 'cold' || mode === 'first-view' ? sample.files : [synthetic.instances['hits-64k'].file];
  await uploadDicomFiles(orthanc, files);
  server.setTarget(orthanc.url);
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error('[page]', m.text()));
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => document.title === 'bench ready');
  const dicomWebUrl = `${server.url}/dicom-web`;

  // V8's compile and GC events too: in a fresh worker the optimising compilers' background tasks
  // (V8.MaglevTask, V8.TurbofanTask) are a large part of a cold read (docs/worker-cost.md).
  const categories = [
    'disabled-by-default-v8.cpu_profiler',
    'v8',
    'devtools.timeline',
    '__metadata',
    'disabled-by-default-v8.compile',
    'disabled-by-default-v8.gc',
  ];
  let trace;
  const moduleOptions = JSON.parse(value('--options', '{}'));
  const sharedMode = mode === 'cold' || mode === 'first-view' ? moduleOptions.shared !== false : flag('--shared');
  /** @type {Awaited<ReturnType<typeof profileSharedWorkers>> | undefined} */
  let sharedProfiler;
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
    if (sharedMode) {
      sharedProfiler = await profileSharedWorkers(browser, profilerOptions);
      await sharedProfiler.whenStarted();
    }
    await browser.startTracing(page, { categories });
    console.log(JSON.stringify(await page.evaluate(loop, arg)));
    trace = await browser.stopTracing();
  } else if (mode === 'first-view') {
    const { buildViewerTrace } = await import('./bench-trace.mjs');
    const tiles = buildViewerTrace(sample.levels).views[0].tiles.map((t) => ({
      url: `${dicomWebUrl}/studies/${sample.studyInstanceUid}/series/${sample.seriesInstanceUid}/instances/${t.instance.sopInstanceUid}`,
      frameCount: t.instance.frameCount,
      frameNumber: t.frameNumber,
    }));
    // Orthanc reads the files once (its storage cache), in another context, unmeasured.
    const warm = await browser.newPage();
    await warm.goto(`${server.url}/`);
    await warm.waitForFunction(() => document.title === 'bench ready');
    await warm.evaluate(async (list) => {
      const cache = new globalThis.bench.FrameCache({});
      await Promise.all(list.map((t) => cache.getFrame(t, t.frameNumber)));
      await cache.close();
    }, tiles);
    await warm.context().close();
    const fresh = await (await browser.newContext()).newPage();
    fresh.on('console', (m) => m.type() === 'error' && console.error('[page]', m.text()));
    await fresh.goto(`${server.url}/`);
    await fresh.waitForFunction(() => document.title === 'bench ready');
    await browser.startTracing(fresh, {
      categories: [...categories, 'toplevel', 'disabled-by-default-v8.gc', 'disabled-by-default-devtools.timeline'],
    });
    if (sharedMode) sharedProfiler = await profileSharedWorkers(browser, profilerOptions);
    const setupMs = await fresh.evaluate(async (options) => {
      const started = performance.now();
      const cache = new globalThis.bench.FrameCache(options);
      await cache.stats();
      globalThis.profiled = cache;
      return performance.now() - started;
    }, moduleOptions);
    const attachStart = performance.now();
    await sharedProfiler?.whenStarted();
    const attachMs = performance.now() - attachStart;
    const result = await fresh.evaluate(
      async ([list, wait]) => {
        const cache = globalThis.profiled;
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        console.timeStamp('first-view-start');
        const t0 = performance.now();
        await Promise.all(list.map((t) => cache.getFrame(t, t.frameNumber)));
        const viewMs = performance.now() - t0;
        console.timeStamp('first-view-end');
        await cache.close();
        return { setupMs: 0, viewMs };
      },
      [tiles, Number(value('--wait', '0'))],
    );
    result.setupMs = setupMs;
    if (sharedProfiler) console.log(`SharedWorker profiler started ${attachMs.toFixed(0)} ms after setup`);
    trace = await browser.stopTracing();
    console.log(
      `setup ${result.setupMs.toFixed(1)} ms, first view ${result.viewMs.toFixed(1)} ms (${tiles.length} tiles)`,
    );
    busyByThread(JSON.parse(trace.toString('utf8')));
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
    if (sharedMode) sharedProfiler = await profileSharedWorkers(browser, profilerOptions);
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
    const spec = { kind: 'module', options: moduleOptions };
    // One unmeasured read first: Orthanc's storage cache and the JIT warm, as in the bench's warm-up round.
    await page.evaluate(([s, t]) => globalThis.bench.readLevel(s, t, {}), [spec, target]);
    if (flag('--fresh')) {
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => document.title === 'bench ready');
    }
    if (flag('--floor')) {
      // The floor instead (e''): the module's requests of the read just done, the visible one
      // first, through the bare SharedWorker doing the unavoidable work, on a new document.
      const firstEntries = server.log.filter((e) => e.path.includes('/instances/'));
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => document.title === 'bench ready');
      const floorSpec = {
        kind: 'raw',
        concurrency: 4,
        leadAlone: true,
        workerFrames: 'shared',
        requests: firstEntries.map((e) => ({ url: `${server.url}${e.path}`, accept: FRAMES_ACCEPT })),
      };
      server.clearLog();
      sharedProfiler = await profileSharedWorkers(browser, profilerOptions);
      await browser.startTracing(page, { categories });
      const floorRead = await page.evaluate(([s, t]) => globalThis.bench.readLevel(s, t, {}), [floorSpec, target]);
      console.log(`floor read ${floorRead.ms.toFixed(0)} ms (setup ${floorRead.setupMs?.toFixed(0)} ms)`);
    }
    server.clearLog();
    if (sharedMode && !flag('--floor')) sharedProfiler = await profileSharedWorkers(browser, profilerOptions);
    if (!flag('--floor')) await browser.startTracing(page, { categories });
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
  const sharedProfiles = (await sharedProfiler?.stop()) ?? [];
  const traceJson = JSON.parse(trace.toString('utf8'));
  summarize(traceJson);
  // In first-view and cold mode, also the view (the module's read) alone: V8's profile
  // timestamps and the trace's share a clock.
  const view = viewWindow(traceJson);
  for (const { url, profile, heap } of sharedProfiles) {
    const thread = `SharedWorker ${url.split('/').pop()} (DevTools protocol profile)`;
    printProfile(fromCdpProfile(`${thread}, from its start`, profile));
    if (heap) printAllocations(`${thread}, allocated from its start`, heap);
    if (view) printProfile(fromCdpProfile(`${thread}, ${view.name} only`, profile), view);
    if (view && flag('--timeline')) printTimeline(fromCdpProfile(thread, profile), view);
  }
  if (sharedMode && sharedProfiles.length === 0) console.log('\nno SharedWorker profile (none was running at the end)');
} finally {
  await browser.close().catch(() => undefined);
  await server.stop();
  await orthanc.stop();
}

/**
 * A sampling heap profile's allocations by call site (the function and its caller), largest first.
 * @param {string} title @param {any} profile HeapProfiler.SamplingHeapProfile
 */
function printAllocations(title, profile, top = 30) {
  const bySite = new Map();
  let total = 0;
  const name = (node) => `${node.callFrame.functionName || '(anonymous)'}:${node.callFrame.lineNumber + 1}`;
  const walk = (node, caller) => {
    if (node.selfSize > 0) {
      const site = caller === undefined ? name(node) : `${name(node)} < ${caller}`;
      bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child, name(node));
  };
  walk(profile.head, undefined);
  console.log(`\n=== ${title}: ${(total / 1024).toFixed(0)} KB`);
  for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${(bytes / 1024).toFixed(0).padStart(8)} KB  ${site}`);
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
        startTime: e.args?.data?.startTime,
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
  const view = viewWindow(json);
  for (const p of profiles.values()) {
    printProfile(p);
    if (view === undefined || p.startTime === undefined) continue;
    // The window alone (first view, or the module's read): sample times from the profile's start and deltas.
    const times = sampleTimes(p.startTime, p.deltas);
    printProfile({ ...p, thread: `${p.thread}, ${view.name} only`, times }, view);
    if (flag('--timeline')) printTimeline({ ...p, times }, view);
  }
}

/**
 * A profile of the DevTools protocol (Profiler.stop: nodes with children, samples, timeDeltas) in
 * the shape summarize() builds from trace chunks (nodes by id, each with its parent).
 * @param {string} thread @param {{ nodes: any[], samples?: number[], timeDeltas?: number[] }} profile
 */
function fromCdpProfile(thread, profile) {
  const nodes = new Map();
  for (const node of profile.nodes) nodes.set(node.id, { ...node });
  for (const node of profile.nodes)
    for (const child of node.children ?? []) {
      const entry = nodes.get(child);
      if (entry) entry.parent = node.id;
    }
  const deltas = profile.timeDeltas ?? [];
  return { thread, nodes, samples: profile.samples ?? [], deltas, times: sampleTimes(profile.startTime ?? 0, deltas) };
}

/** Each sample's time (µs, the profile's clock): its start plus the deltas up to the sample. */
function sampleTimes(startTime, deltas) {
  const times = [];
  let at = startTime;
  for (const delta of deltas) times.push((at += delta));
  return times;
}

/**
 * The window of a trace, µs on the trace clock: the first view's marks (console.timeStamp) in
 * first-view mode, else the first level read's (bench/page/readers.ts: in cold mode, the module's
 * read); undefined without them.
 */
function viewWindow(json) {
  const events = json.traceEvents ?? json;
  const mark = (name) => events.find((e) => e.name === 'TimeStamp' && e.args?.data?.message === name)?.ts;
  for (const [prefix, name] of [
    ['first-view', 'the first view'],
    ['read', 'the module read'],
  ]) {
    const from = mark(`${prefix}-start`);
    const to = mark(`${prefix}-end`);
    if (from !== undefined && to !== undefined) return { from, to, name };
  }
  return undefined;
}

/**
 * Prints one thread's self and inclusive milliseconds per function (the 25 largest of each);
 * with `window` (µs, needs `p.times`), only the samples taken inside it.
 */
function printProfile(p, window) {
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
    if (window && p.times && !(p.times[i] >= window.from && p.times[i] <= window.to)) continue;
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
  if (total < 5) return;
  const top = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([k, v]) => `  ${v.toFixed(1).padStart(8)} ms  ${k}`)
      .join('\n');
  console.log(`\n=== ${p.thread}: ${total.toFixed(0)} ms busy\n-- self\n${top(self)}\n-- inclusive\n${top(inclusive)}`);
}

/**
 * A thread's samples inside `window` in 2 ms steps from its start: busy ms and the functions
 * that ran most (self time), so a reader sees what the thread did when (--timeline).
 */
function printTimeline(p, window, stepMs = 2) {
  const steps = [];
  for (let i = 0; i < p.samples.length; i++) {
    const at = p.times?.[i];
    if (at === undefined || at < window.from || at > window.to) continue;
    const node = p.nodes.get(p.samples[i]);
    const f = node?.callFrame;
    if (!f || f.functionName === '(idle)') continue;
    const step = Math.floor((at - window.from) / 1000 / stepMs);
    const names = (steps[step] ??= new Map());
    const key = f.functionName || `(anonymous):${f.lineNumber + 1}`;
    names.set(key, (names.get(key) ?? 0) + (p.deltas[i + 1] ?? 0) / 1000);
  }
  console.log(`\n=== ${p.thread}: timeline of ${window.name}, ${stepMs} ms steps (busy ms, top functions)`);
  for (let step = 0; step < steps.length; step++) {
    const names = steps[step];
    if (names === undefined) continue;
    const busy = [...names.values()].reduce((a, b) => a + b, 0);
    const top = [...names]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ');
    console.log(`  +${String(step * stepMs).padStart(3)} ms  ${busy.toFixed(1).padStart(4)}  ${top}`);
  }
}

/**
 * Per thread, the time inside top-level trace events inside the window (viewWindow: the first
 * view's or the module read's marks), by event name: what else ran then.
 */
function busyByThread(json) {
  const events = json.traceEvents ?? json;
  const view = viewWindow(json);
  if (view === undefined) {
    console.log('no first-view or read marks in the trace');
    return;
  }
  const { from, to } = view;
  const names = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || typeof e.dur !== 'number') continue;
    if (
      !/ThreadControllerImpl::RunTask|RunTask|V8\.GC|MajorGC|MinorGC|V8\.Compile|v8\.compile|V8\.Optimize|Maglev|Turbofan/i.test(
        e.name,
      )
    )
      continue;
    const start = Math.max(e.ts, from);
    const end = Math.min(e.ts + e.dur, to);
    if (end <= start) continue;
    const thread = names.get(`${e.pid}:${e.tid}`) ?? `${e.pid}:${e.tid}`;
    const key = `${thread}`;
    const entry = byThread.get(key) ?? new Map();
    entry.set(e.name, (entry.get(e.name) ?? 0) + (end - start) / 1000);
    byThread.set(key, entry);
  }
  console.log(`\nbetween the marks: ${((to - from) / 1000).toFixed(1)} ms`);
  for (const [thread, entry] of [...byThread].sort((a, b) => Math.max(...b[1].values()) - Math.max(...a[1].values()))) {
    const top = [...entry].sort((a, b) => b[1] - a[1]).slice(0, 6);
    console.log(`  ${thread}: ${top.map(([n, ms]) => `${n} ${ms.toFixed(1)} ms`).join(', ')}`);
  }
}

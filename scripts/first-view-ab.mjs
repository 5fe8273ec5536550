// The viewer trace's first view, two builds of the module alternated run by run (issue 11): a
// change's effect on a ~40 ms view is smaller than the spread of three runs on this machine
// (docs/worker-cost.md), so it is measured against the revision before it in the same session,
// each build served by a bench server of its own, every run in a fresh browser context, loopback.
//
//   node scripts/first-view-ab.mjs [--base REV] [--rounds N] [--view I] [--peers LIST]
//
// --base: the revision to compare the working tree with (default HEAD; built from a temporary
// git worktree). --rounds: runs of each peer (default 20). --view: which view of the trace
// (default 0, the first). --peers: a comma list of
//   raw         one request per view, raw fetch from the page (working tree's page)
//   sw          the same requests from a bare SharedWorker
//   sw-frames   the same, with the module's unavoidable work (bench/method.md)
//   base, work  FrameCache default, every tile's getFrame at once, built from --base / the tree
//   base-frames, work-frames   the same, one getFrames call per instance of the view (a base
//               before 7e975ac has no such page: it asks per tile)
//   base-dedicated, work-dedicated   FrameCache { shared: false }
// (default raw,base,work). Prints each peer's median and runs, and its ratio to raw's median.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBenchPage, launchFreshBrowser } from './bench-browser.mjs';
import { median } from './bench-runner.mjs';
import { startBenchServer } from './bench-server.mjs';
import { buildViewerTrace } from './bench-trace.mjs';
import { ensureDebianPackages, ensureNpmDeps, REPO_ROOT } from './lib/deps.mjs';
import { startOrthanc, uploadDicomFiles } from './lib/orthanc.mjs';
import { ensureSampleSlides } from './lib/sample-slides.mjs';

const args = process.argv.slice(2);
const value = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1] : fallback;
};
const base = value('--base', 'HEAD');
const rounds = Number(value('--rounds', '20'));
const viewIndex = Number(value('--view', '0'));
const MODULE = { kind: 'module', options: {} };
/** @type {Record<string, { build: 'base' | 'work', spec: Record<string, unknown> }>} */
const PEERS = {
  raw: { build: 'work', spec: { kind: 'view-raw' } },
  sw: { build: 'work', spec: { kind: 'view-shared-worker' } },
  'sw-frames': { build: 'work', spec: { kind: 'view-shared-worker-frames' } },
  base: { build: 'base', spec: MODULE },
  work: { build: 'work', spec: MODULE },
  'base-frames': { build: 'base', spec: { ...MODULE, perView: true } },
  'work-frames': { build: 'work', spec: { ...MODULE, perView: true } },
  'base-dedicated': { build: 'base', spec: { kind: 'module', options: { shared: false } } },
  'work-dedicated': { build: 'work', spec: { kind: 'module', options: { shared: false } } },
};
const peers = value('--peers', 'raw,base,work').split(',');
for (const name of peers) if (!(name in PEERS)) throw new Error(`unknown peer ${name}; one of ${Object.keys(PEERS)}`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes an integer >= 1');

ensureNpmDeps();
ensureDebianPackages();
const scratch = mkdtempSync(join(tmpdir(), 'dwfc-first-view-ab-'));
const worktree = join(scratch, 'base');
/** @type {(() => Promise<unknown> | unknown)[]} */
const cleanups = [() => rmSync(scratch, { recursive: true, force: true })];
try {
  const needsBase = peers.some((name) => PEERS[name]?.build === 'base');
  if (needsBase) {
    execFileSync('git', ['worktree', 'add', '--detach', '--quiet', worktree, base], { cwd: REPO_ROOT });
    cleanups.unshift(() => execFileSync('git', ['worktree', 'remove', '--force', worktree], { cwd: REPO_ROOT }));
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(worktree, 'node_modules'));
  }
  const roots = {
    work: await buildBenchPage({ outDir: join(scratch, 'page-work') }),
    ...(needsBase ? { base: await buildBenchPage({ tree: worktree, outDir: join(scratch, 'page-base') }) } : {}),
  };
  const sample = ensureSampleSlides({ quiet: true }).slides.jpeg;
  const trace = buildViewerTrace(sample.levels);
  const orthanc = await startOrthanc({ compression: true, maximumStorageCacheSizeMb: 1024 });
  cleanups.unshift(() => orthanc.stop());
  await uploadDicomFiles(orthanc, sample.files);
  /** @type {Record<string, Awaited<ReturnType<typeof startBenchServer>>>} */
  const servers = {};
  for (const [build, root] of Object.entries(roots)) {
    const server = await startBenchServer({ root });
    cleanups.unshift(() => server.stop());
    server.setTarget(orthanc.url);
    servers[build] = server;
  }
  const browser = await launchFreshBrowser();
  cleanups.unshift(() => browser.close());
  const options = { pauseMs: 150, tileConcurrency: 16 };
  /** @param {{ build: 'base' | 'work', spec: Record<string, unknown> }} peer */
  const once = async (peer) => {
    const server = /** @type {(typeof servers)[string]} */ (servers[peer.build]);
    const series = {
      studyInstanceUid: sample.studyInstanceUid,
      seriesInstanceUid: sample.seriesInstanceUid,
      dicomWebUrl: `${server.url}/dicom-web`,
    };
    const handle = await browser.fresh(`${server.url}/`);
    try {
      const result = await handle.page.evaluate(
        ([spec, target, views, opts]) => globalThis.bench.replayTrace(spec, target, views, opts),
        [peer.spec, series, trace.views.slice(0, viewIndex + 1), options],
      );
      return /** @type {number} */ (result.viewMs[viewIndex]);
    } finally {
      await handle.close();
    }
  };
  // Unmeasured: Orthanc reads each level's file once (its storage cache).
  await once({ build: 'work', spec: { kind: 'view-raw' } });
  /** @type {Record<string, number[]>} */
  const runs = Object.fromEntries(peers.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++)
    for (const name of peers) runs[name]?.push(await once(/** @type {any} */ (PEERS[name])));
  const rawMedian = runs['raw'] ? median(runs['raw']) : Number.NaN;
  console.log(
    `view ${viewIndex} ('${trace.views[viewIndex]?.label}'), ${rounds} runs per peer alternated, fresh context each, loopback; base = ${base}`,
  );
  for (const name of peers) {
    const list = runs[name] ?? [];
    const m = median(list);
    const ratio = Number.isFinite(rawMedian) && name !== 'raw' ? `  ${(m / rawMedian).toFixed(2)}x raw` : '';
    console.log(
      `${name.padEnd(15)} median ${m.toFixed(1).padStart(6)} ms${ratio}   runs ${list.map((x) => x.toFixed(0)).join(' ')}`,
    );
  }
} finally {
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch (error) {
      console.error(`cleanup: ${String(error)}`);
    }
  }
}

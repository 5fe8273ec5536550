// `npm run fuzz`: the long property-based fuzz run of the multipart parser, the Part 10 reader
// (each against an independent oracle) and the source + engine path, over mutated REAL bodies
// (test/fuzz), at least 100,000 cases in all, with the count printed.
// A watchdog thread kills the run (exit 3) if no case finishes for 30 s: a parser that hangs.
// Usage: npm run fuzz [-- --runs N (per target, 3 targets, default 34000) --seed S --only multipart|part10|source]
import { writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { REPO_ROOT, ensureNpmDeps } from './lib/deps.mjs';

ensureNpmDeps();

function argument(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name} takes a positive integer`);
    process.exit(2);
  }
  return value;
}

const runs = argument('runs', 34000);
const seed = argument('seed', Date.now() % 2 ** 31);
const HANG_MS = 30_000;
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt === -1 ? undefined : process.argv[onlyAt + 1];

// The main thread may block inside a parser: the watchdog reads a shared counter and writes
// synchronously to stderr before killing the process.
const progress = new Int32Array(new SharedArrayBuffer(4));
const watchdog = new Worker(
  `const { workerData } = require('node:worker_threads');
   const { writeSync } = require('node:fs');
   const counter = new Int32Array(workerData.buffer);
   let last = -1, since = Date.now();
   setInterval(() => {
     const now = Atomics.load(counter, 0);
     if (now !== last) { last = now; since = Date.now(); return; }
     if (Date.now() - since >= workerData.hangMs) {
       writeSync(2, '[fuzz] HANG: no case finished for ' + workerData.hangMs / 1000 + ' s after ' + now + ' cases (seed ' + workerData.seed + ')\\n');
       process.kill(process.pid, 'SIGKILL');
     }
   }, 500);`,
  { eval: true, workerData: { buffer: progress.buffer, hangMs: HANG_MS, seed } },
);
watchdog.unref();

const { runnerImport } = await import('vite');
const { module } = await runnerImport(resolve(REPO_ROOT, 'test/fuzz/run.ts'));
const started = performance.now();
let reports;
try {
  reports = await module.runLongFuzz({
    runs,
    seed,
    only,
    onCase: () => Atomics.add(progress, 0, 1),
    log: (line) => writeSync(1, `${line}\n`),
  });
} catch (error) {
  console.error(String(error?.message ?? error));
  if (error?.cause !== undefined) console.error(`Caused by: ${error.cause?.stack ?? String(error.cause)}`);
  console.error(
    `[fuzz] FAILED after ${Atomics.load(progress, 0)} cases (seed ${seed}); rerun with --seed ${seed} --runs ${runs}`,
  );
  process.exit(1);
}
const total = reports.reduce((sum, r) => sum + r.cases, 0);
for (const r of reports) {
  const engine = r.target.startsWith('source + engine');
  console.log(
    engine
      ? `[fuzz] ${r.target}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s; ${r.parserErrors} calls rejected with FrameCacheError; ` +
          `${r.delivered} frames returned: ${r.checkedAgainstOriginal} the real frame, ${r.oracleAgreed} as the mutated answer sent them, ` +
          `${r.oracleRefused} from instance answers dicom-parser cannot read (none another frame)`
      : `[fuzz] ${r.target}: ${r.cases} cases in ${(r.ms / 1000).toFixed(1)} s; ${r.parserErrors} rejected with FrameCacheError, ` +
          `${r.cases - r.parserErrors} parsed (${r.oracleAgreed} confirmed by the independent oracle, ${r.oracleRefused} it could not read); ` +
          `${r.delivered} parts/frames handed out, ${r.checkedAgainstOriginal} of them checked equal to the real ones`,
  );
}
console.log(
  `[fuzz] ${total} cases run in ${((performance.now() - started) / 1000).toFixed(1)} s, 0 property violations, seed ${seed}`,
);
await watchdog.terminate();

// `npm run mutate`: a hand-made mutation check. Each mutant is one deliberate bug (an off-by-one
// in a window, a dropped eviction, a frame handed out under the wrong number, ...) applied to a
// temporary copy of the repository (never to src/ here); the relevant Node tests run against it,
// and the mutant is killed when they fail. Prints a table and the score; docs/testing.md explains
// the survivors. Slow (one Vitest run per mutant): not part of `npm test`. Tests get a long
// timeout so that a loaded machine does not kill a mutant by a timeout.
// Usage: npm run mutate [-- --only ID[,ID...]] [--tests 'path ...' --project node|integration|browser]
//        [--keep] (keep the temp copy for a look). --tests/--project replace the mutants' own
// test subsets: show that one given check (a fuzz suite, a fault test) fails on a broken build.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT, ensureNpmDeps } from './lib/deps.mjs';

ensureNpmDeps();

const CORE = ['test/core'];
const TRANSPORT = ['test/transport', 'test/reliability', 'test/fuzz/engine-path.test.ts'];
const PART10 = ['test/part10', 'test/fuzz/part10-real.test.ts', 'test/reliability'];
const MULTIPART = ['test/transport', 'test/fuzz/multipart-real.test.ts'];
const ENGINE = ['test/core', 'test/reliability', 'test/fuzz/engine-path.test.ts'];

/** id, file, exact text to find (once), its replacement, the tests that should catch it, what it breaks. */
export const MUTANTS = [
  {
    id: 'window-off-by-one',
    file: 'src/core/frame-ranges.ts',
    find: 'let end = Math.min(frameCount, frameNumber + maxFrames - 1);',
    replace: 'let end = Math.min(frameCount, frameNumber + maxFrames);',
    tests: CORE,
    breaks: 'a miss window one frame longer than framesPerMiss',
  },
  {
    id: 'ranges-merge-gap',
    file: 'src/core/frame-ranges.ts',
    find: 'if (n === end || n === end + 1) {',
    replace: 'if (n === end || n === end + 1 || n === end + 2) {',
    tests: CORE,
    breaks: 'ranges merged across a one-frame gap',
  },
  {
    id: 'clip-keeps-loading-tail',
    file: 'src/core/frame-ranges.ts',
    find: 'while (end > start && isLoading(end)) end--;',
    replace: 'while (end > start && isLoading(end) && end < 0) end--;',
    tests: CORE,
    breaks: 'a window not clipped at its end: frames already loading asked again',
  },
  {
    id: 'lru-dropped-eviction',
    file: 'src/core/byte-lru.ts',
    find: 'if (this.#bytes > this.#maxBytes) this.#evictDownTo(this.#maxBytes);',
    replace: 'if (this.#bytes > this.#maxBytes * 2) this.#evictDownTo(this.#maxBytes);',
    tests: CORE,
    breaks: 'no eviction until twice the bound',
  },
  {
    id: 'lru-get-no-recency',
    file: 'src/core/byte-lru.ts',
    find: 'this.#map.delete(key);\n      this.#map.set(key, value);\n      return value;',
    replace: 'return value;',
    tests: CORE,
    breaks: 'a read does not refresh recency (FIFO, not LRU)',
  },
  {
    id: 'lru-remove-keeps-bytes',
    file: 'src/core/byte-lru.ts',
    find: '    else this.#map.delete(key);\n    this.#bytes -= value.byteLength;',
    replace: '    else this.#map.delete(key);',
    tests: CORE,
    breaks: 'delete/replace leaves the byte count high',
  },
  {
    id: 'options-zero-accepted',
    file: 'src/core/validate.ts',
    find: "if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {",
    replace: "if (typeof value !== 'number' || !Number.isInteger(value) || value < min - 1) {",
    tests: CORE,
    breaks: 'integer options accept min - 1 (maxBytes 0, framesPerMiss 0)',
  },
  {
    id: 'engine-admit-wrong-key',
    file: 'src/core/engine.ts',
    find: 'const key = frameKey(instanceUrl, frameNumber);\n    const cached = this.#lru.peek(key);',
    replace:
      'const key = frameKey(instanceUrl, frameNumber === 2 ? 3 : frameNumber);\n    const cached = this.#lru.peek(key);',
    tests: ENGINE,
    breaks: 'frame 2 cached under number 3 (a swapped frame)',
  },
  {
    id: 'engine-admit-no-copy',
    file: 'src/core/engine.ts',
    find: '? bytes : bytes.slice();',
    replace: '? bytes : bytes;',
    tests: ENGINE,
    breaks: 'a cached frame keeps a view of the whole response alive',
  },
  {
    id: 'source-ignores-location',
    file: 'src/transport/dicomweb-source.ts',
    find: 'else if (frameOfLocation(location) === expected) {',
    replace: 'else {',
    tests: TRANSPORT,
    breaks: 'a part naming another frame delivered by position',
  },
  {
    id: 'source-unlocated-any-count',
    file: 'src/transport/dicomweb-source.ts',
    find: 'if (parser.partCount === asked.length) {',
    replace: 'if (true) {',
    tests: TRANSPORT,
    breaks: 'parts without Content-Location delivered by position after one went missing',
  },
  {
    id: 'source-ignores-length',
    file: 'src/transport/dicomweb-source.ts',
    find: 'if (length !== undefined && length !== String(part.body.byteLength)) return;',
    replace: '',
    tests: TRANSPORT,
    breaks: 'a part cut on the way (Content-Length says more) delivered',
  },
  {
    id: 'http-503-not-retried',
    file: 'src/transport/http.ts',
    find: 'new Set([429, 500, 502, 503, 504])',
    replace: 'new Set([429, 500, 502, 504])',
    tests: TRANSPORT,
    breaks: '503 not retried',
  },
  {
    id: 'multipart-body-keeps-crlf',
    file: 'src/transport/multipart-stream.ts',
    find: 'if (emit && found > pos) this.#data(chunk.subarray(pos, found));',
    replace: 'if (emit && found > pos) this.#data(chunk.subarray(pos, found + 2));',
    tests: MULTIPART,
    breaks: 'a part body ends 2 bytes late (the delimiter CRLF kept)',
  },
  {
    id: 'part10-native-frame-shift',
    file: 'src/part10/part10-pixel-data.ts',
    find: 'this.#options.onFrame(this.#frameNumber, bytes);',
    replace:
      'this.#options.onFrame(this.#frameNumber + (this.#frameNumber === 1 && this.#framesLeft > 0 ? 1 : 0), bytes);',
    tests: PART10,
    breaks: 'native frame 1 emitted as frame 2',
  },
  {
    id: 'part10-typeerror-on-bad-item',
    file: 'src/part10/part10-pixel-data.ts',
    find: "throw new FrameCacheError(\n        'part10',\n        `Expected ${expected} (FFFE,E000)",
    replace: 'throw new TypeError(\n        `Expected ${expected} (FFFE,E000)',
    tests: PART10,
    breaks: 'an internal TypeError on a malformed item (the guard used to launder it)',
  },
  // The same internal error with the old guard back (any error became FrameCacheError('part10')):
  // the fuzz cannot see it. Expected to SURVIVE: it shows why the guard had to change.
  {
    id: 'part10-typeerror-laundered',
    file: 'src/part10/part10-pixel-data.ts',
    find: "throw new FrameCacheError(\n        'part10',\n        `Expected ${expected} (FFFE,E000)",
    replace: 'throw new TypeError(\n        `Expected ${expected} (FFFE,E000)',
    extra: [
      {
        file: 'src/part10/part10-file.ts',
        find: '      this.#failure = error;\n      throw error;',
        replace:
          "      this.#failure = error instanceof FrameCacheError ? error : new FrameCacheError('part10', `Unreadable Part 10 data: ${String(error)}`, { cause: error });\n      throw this.#failure;",
      },
    ],
    tests: ['test/fuzz/part10-real.test.ts'],
    breaks: 'the internal TypeError above, laundered by the old guard (demonstration: survives)',
    demonstration: true,
  },
  // Browser-only checks (run with --project browser --tests ...): not in the default Node run.
  {
    id: 'spill-silent-channel',
    file: 'src/spill/spill-channel.ts',
    find: 'channel.postMessage(ANNOUNCEMENT);',
    replace: '',
    tests: ['test/browser/idb-multitab.test.ts'],
    breaks: 'a spill write is never announced to the other tabs',
    demonstration: true,
  },
  {
    id: 'part10-bot-first-entry',
    file: 'src/part10/part10-encapsulated.ts',
    find: 'if (offsets[0] !== 0) {',
    replace: 'if (offsets[0] !== 0 && offsets[0] !== 8) {',
    tests: PART10,
    breaks: 'a Basic Offset Table whose first entry is not 0 accepted',
    optional: true,
  },
];

function argument(name) {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : (process.argv[at + 1] ?? '');
}

const only = argument('only')?.split(',');
const testsOverride = argument('tests')?.split(/\s+/).filter(Boolean);
const project = argument('project') ?? 'node';
const keep = process.argv.includes('--keep');
const chosen = MUTANTS.filter((m) => (only === undefined ? !m.demonstration : only.includes(m.id))).map((m) =>
  testsOverride ? { ...m, tests: testsOverride } : m,
);

// A copy of the repository without node_modules / .git / .data (linked instead).
const work = mkdtempSync(join(tmpdir(), 'dfc-mutate-'));
for (const entry of [
  'src',
  'test',
  'scripts',
  'types',
  'package.json',
  'tsconfig.json',
  'tsconfig.core.json',
  'vitest.config.ts',
  'vite.config.ts',
]) {
  const from = resolve(REPO_ROOT, entry);
  if (existsSync(from)) cpSync(from, join(work, entry), { recursive: true });
}
symlinkSync(resolve(REPO_ROOT, 'node_modules'), join(work, 'node_modules'));
symlinkSync(resolve(REPO_ROOT, '.data'), join(work, '.data'));

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

function runTests(tests) {
  const started = Date.now();
  const result = spawnSync(
    'npx',
    ['vitest', 'run', '--project', project, '--bail', '1', '--testTimeout', '120000', ...tests],
    {
      cwd: work,
      encoding: 'utf8',
      timeout: 600_000,
      env: { ...process.env, FORCE_COLOR: '0' },
    },
  );
  const output = `${result.stdout}\n${result.stderr}`.replace(ANSI_COLOUR, '');
  const failed = /(\d+) failed/.exec(output)?.[1];
  return {
    ok: result.status === 0,
    timedOut: result.error !== undefined,
    seconds: (Date.now() - started) / 1000,
    failed: failed === undefined ? 0 : Number(failed),
    output,
  };
}

const results = [];
try {
  const allTests = [...new Set(chosen.flatMap((m) => m.tests))];
  console.log(`[mutate] copy in ${work}; baseline run of ${allTests.join(' ')}`);
  const baseline = runTests(allTests);
  if (!baseline.ok) {
    console.error(baseline.output.slice(-4000));
    console.error('[mutate] the unmutated copy fails its tests: nothing to measure');
    process.exit(2);
  }
  for (const mutant of chosen) {
    const edits = [{ file: mutant.file, find: mutant.find, replace: mutant.replace }, ...(mutant.extra ?? [])];
    const originals = edits.map((e) => readFileSync(join(work, e.file), 'utf8'));
    const count = Math.min(...edits.map((e, i) => originals[i].split(e.find).length - 1));
    const most = Math.max(...edits.map((e, i) => originals[i].split(e.find).length - 1));
    if (count !== 1 || most !== 1) {
      if (mutant.optional) {
        console.log(`[mutate] ${mutant.id}: text not found once in ${mutant.file} (${count}); skipped`);
        continue;
      }
      console.error(
        `[mutate] ${mutant.id}: the text to mutate occurs ${count} times in ${mutant.file}; fix the mutant`,
      );
      process.exit(2);
    }
    // Applied in order (two edits may touch one file).
    for (const e of edits)
      writeFileSync(join(work, e.file), readFileSync(join(work, e.file), 'utf8').replace(e.find, e.replace));
    try {
      const run = runTests(mutant.tests);
      const killed = !run.ok;
      const firstFailure = /(?:FAIL|×)\s+(.*)/.exec(run.output)?.[1]?.trim().slice(0, 110) ?? '';
      results.push({
        ...mutant,
        killed,
        seconds: run.seconds,
        failed: run.failed,
        firstFailure: run.timedOut ? 'timed out' : firstFailure,
      });
      console.log(
        `[mutate] ${killed ? 'KILLED  ' : 'SURVIVED'} ${mutant.id} (${run.seconds.toFixed(0)} s)${killed ? `: ${firstFailure}` : ''}`,
      );
    } finally {
      edits.forEach((e, i) => writeFileSync(join(work, e.file), originals[i]));
    }
  }
} finally {
  if (keep) console.log(`[mutate] kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

const killed = results.filter((r) => r.killed).length;
console.log('\n| mutant | file | bug | outcome |\n|---|---|---|---|');
for (const r of results) console.log(`| ${r.id} | ${r.file} | ${r.breaks} | ${r.killed ? 'killed' : '**survived**'} |`);
console.log(
  `\n[mutate] score ${killed}/${results.length} killed (${((100 * killed) / Math.max(1, results.length)).toFixed(0)} %)`,
);
process.exit(0);

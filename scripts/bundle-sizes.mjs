// `npm run size` (after `npm run build`): what a page downloads for each entry of dist/ — the
// entry file, the chunks it imports statically, and the chunks it may import later (the
// IndexedDB tier) — in bytes, raw and gzip -9. `node scripts/bundle-sizes.mjs [dir]`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from './lib/deps.mjs';

const dir = resolve(process.argv[2] ?? join(REPO_ROOT, 'dist'));
const ENTRIES = ['index.js', 'core.js', 'frame-cache.worker.js', 'frame-cache.shared-worker.js'];

if (!existsSync(join(dir, 'core.js'))) {
  console.error(`No build in ${dir}: run npm run build first.`);
  process.exit(1);
}

/** @param {string[]} files */
function measure(files) {
  let raw = 0;
  let gzip = 0;
  for (const file of files) {
    const bytes = readFileSync(file);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
  }
  return `${raw} B (gzip ${gzip} B)`;
}

for (const entry of ENTRIES) {
  const eager = new Set();
  const lazy = new Set();
  const visit = (/** @type {string} */ file) => {
    if (eager.has(file)) return;
    eager.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:^|[\n;])\s*import\s[^;]*?from\s*["'](\.[^"']+)["']/g))
      visit(join(dirname(file), m[1] ?? ''));
    for (const m of code.matchAll(/import\(\s*["'`](\.[^"'`]+)["'`]\s*\)/g)) lazy.add(join(dirname(file), m[1] ?? ''));
  };
  visit(join(dir, entry));
  const names = (/** @type {Set<string>} */ set) => [...set].map((f) => relative(dir, f)).join(', ');
  console.log(`${entry}: ${measure([join(dir, entry)])} alone; ${measure([...eager])} with ${names(eager)}`);
  if (lazy.size > 0) console.log(`  loaded only when spill is configured: ${measure([...lazy])} (${names(lazy)})`);
}

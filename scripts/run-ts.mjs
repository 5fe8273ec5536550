// Runs a TypeScript file (a benchmark) with Vite's module runner: Node 20 cannot run .ts itself.
// Usage: node scripts/run-ts.mjs bench/parse-part10.ts [args...]
import { resolve } from 'node:path';
import { ensureNpmDeps } from './lib/deps.mjs';

ensureNpmDeps();
const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/run-ts.mjs <file.ts> [args...]');
  process.exit(2);
}
const { runnerImport } = await import('vite');
await runnerImport(resolve(file));

// `npm test`: installs what is missing (npm packages, Debian packages), then lint, the import-cycle
// check (scripts/check-cycles.mjs), type checks and
// every Vitest project, stopping at the first failure with its exit code. Extra arguments go to
// Vitest (`npm test -- --project node`). Needs no terminal.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_PACKAGES, REPO_ROOT, ensureDebianPackages, ensureNpmDeps } from './lib/deps.mjs';

const LINT_DIRS = ['src', 'test', 'scripts', 'bench', 'demo'];

ensureNpmDeps();
ensureDebianPackages(DEBIAN_PACKAGES);

const bin = (/** @type {string} */ name) => join(REPO_ROOT, 'node_modules', '.bin', name);
const lintDirs = LINT_DIRS.filter((dir) => existsSync(join(REPO_ROOT, dir)));

/** @type {Array<[label: string, command: string, args: string[]]>} */
const steps = [
  ['lint', bin('oxlint'), ['-c', '.oxlintrc.json', ...lintDirs]],
  ['import cycles', process.execPath, [join(REPO_ROOT, 'scripts', 'check-cycles.mjs')]],
  // Formatting of the code (docs are left as written): `npm run format` fixes it.
  ['format', bin('prettier'), ['--check', 'src', 'test', 'scripts', 'bench', 'demo', 'types', '*.ts', '*.json']],
  ['typecheck', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']],
  ['typecheck core', bin('tsc'), ['-p', 'tsconfig.core.json', '--noEmit']],
  ['vitest', bin('vitest'), ['run', ...process.argv.slice(2)]],
];

/** @type {import('node:child_process').ChildProcess | undefined} */
let current;
// Ctrl-C reaches the child too (same process group): let it clean up, then exit with its code.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => current?.kill('SIGTERM'));
process.on('SIGHUP', () => current?.kill('SIGHUP'));

const started = performance.now();
for (const [label, command, args] of steps) {
  const display = [command.replace(`${REPO_ROOT}/node_modules/.bin/`, ''), ...args].join(' ');
  console.log(`\n=== ${label}: ${display}`);
  const stepStarted = performance.now();
  const code = await run(command, args);
  const seconds = ((performance.now() - stepStarted) / 1000).toFixed(1);
  if (code !== 0) {
    console.error(`=== ${label} FAILED (exit code ${code}) after ${seconds} s`);
    process.exit(code);
  }
  console.log(`=== ${label} passed in ${seconds} s`);
}
console.log(`\n=== all passed in ${((performance.now() - started) / 1000).toFixed(1)} s`);

/**
 * @param {string} command
 * @param {string[]} args
 * @returns {Promise<number>}
 */
function run(command, args) {
  return new Promise((resolveRun) => {
    current = spawn(command, args, { cwd: REPO_ROOT, stdio: 'inherit' });
    current.once('error', (error) => {
      console.error(`Cannot run ${command}: ${error.message}`);
      resolveRun(1);
    });
    current.once('exit', (code, signal) => {
      current = undefined;
      resolveRun(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
    });
  });
}

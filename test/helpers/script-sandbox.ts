/**
 * The harness of the install and sample-data tooling tests (test/scripts): the real modules of
 * scripts/lib run in child Node processes, in temporary "repositories" (REPO_ROOT is derived from
 * the module's location) and with fake programs first on PATH, so nothing outside tmp changes.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The real sample slides, made by `npm test` before the tests run. */
export const REAL_SLIDES = join(ROOT, '.data', 'slides');

/** A missing prerequisite fails the test (npm test makes the slides); it is never a silent skip. */
export function needSlides(): void {
  if (!existsSync(join(REAL_SLIDES, 'manifest.json')))
    throw new Error('needs the sample slides (.data/slides): run npm test, which makes them');
}

/** Fresh folders under one temporary directory of the test file (removed after its tests). */
export function scriptSandbox(prefix: string) {
  const work = mkdtempSync(join(tmpdir(), `dwfc-${prefix}-`));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  let counter = 0;

  function freshDir(name: string): string {
    const dir = join(work, `${counter++}-${name}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  /** A directory of fake programs (plus `sh`, which deps.mjs's commandExists needs). */
  function fakeBin(programs: Record<string, string>): string {
    const bin = freshDir('bin');
    symlinkSync('/bin/sh', join(bin, 'sh'));
    for (const [name, body] of Object.entries(programs)) {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    }
    return bin;
  }

  /** A temporary "repository": scripts/lib copied, node_modules linked to the real one. */
  function tempRepo(name: string): string {
    const repo = join(freshDir('repo'), name);
    mkdirSync(join(repo, 'scripts'), { recursive: true });
    cpSync(join(ROOT, 'scripts', 'lib'), join(repo, 'scripts', 'lib'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'));
    return repo;
  }

  return { freshDir, fakeBin, tempRepo };
}

/** Node code running `repo`'s ensureSampleSlides: 'MANIFEST <json>' on stdout, or 'THROWN <message>' and exit 3. */
export const ensureSlidesCode = (repo: string, options = '{ quiet: true }') =>
  `import { ensureSampleSlides } from ${JSON.stringify(join(repo, 'scripts', 'lib', 'sample-slides.mjs'))};
   try { const m = ensureSampleSlides(${options}); console.log('MANIFEST ' + JSON.stringify(m)); }
   catch (error) { console.error('THROWN ' + error.message); process.exit(3); }`;

/** The manifest an ensureSlidesCode run printed, or undefined. */
export function manifestOf(stdout: string): any {
  const line = stdout.split('\n').find((l) => l.startsWith('MANIFEST '));
  return line === undefined ? undefined : JSON.parse(line.slice('MANIFEST '.length));
}

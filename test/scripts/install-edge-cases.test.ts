// Edge cases of the install and sample-data tooling that `npm run demo` and `npm test` start with
// (scripts/lib/deps.mjs, scripts/demo.mjs, scripts/demo-dmv.mjs, scripts/lib/sample-slides.mjs):
// a held Debian package, no network, a touched or changed package-lock.json, the demos' Debian
// packages, a clone path with a space, and a sample generation that fails half-way. Each test runs
// the real module in a child Node process with fake programs first on PATH (never the real apt-get
// or npm), or on a copy of scripts/ in a temporary "repository" (REPO_ROOT is derived from the
// module's location), so nothing outside tmp changes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import {
  REAL_SLIDES,
  ROOT,
  ensureSlidesCode,
  manifestOf,
  needSlides,
  scriptSandbox,
} from '../helpers/script-sandbox.js';

const { freshDir, fakeBin, tempRepo } = scriptSandbox('install-edge-cases');

function runNode(code: string, env: NodeJS.ProcessEnv, cwd = ROOT) {
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    cwd,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

describe('deps.mjs: Debian package detection', () => {
  it('a package that is installed but held (dpkg status "hold ok installed") counts as installed: no apt-get, no failure', () => {
    // A real dpkg database in a temp dir, read by the real dpkg-query.
    const admin = freshDir('dpkg-admin');
    mkdirSync(join(admin, 'info'));
    mkdirSync(join(admin, 'updates'));
    writeFileSync(join(admin, 'available'), '');
    writeFileSync(
      join(admin, 'status'),
      [
        'Package: nginx',
        'Status: hold ok installed',
        'Priority: optional',
        'Section: httpd',
        'Maintainer: Nobody <nobody@example.invalid>',
        'Architecture: all',
        'Version: 1.22.1-9',
        'Description: test stanza',
        '',
      ].join('\n'),
    );
    const log = join(admin, 'apt.log');
    const bin = fakeBin({
      'dpkg-query': `exec /usr/bin/dpkg-query --admindir=${JSON.stringify(admin)} "$@"`,
      'apt-get': `echo "apt-get $*" >> ${JSON.stringify(log)}; exit 0`,
    });
    const result = runNode(
      `import { ensureDebianPackages, isDebianPackageInstalled } from ${JSON.stringify(join(ROOT, 'scripts', 'lib', 'deps.mjs'))};
       console.log('INSTALLED ' + isDebianPackageInstalled('nginx'));
       ensureDebianPackages(['nginx']);
       console.log('RETURNED');`,
      { PATH: bin },
    );
    const aptCalls = existsSync(log) ? readFileSync(log, 'utf8') : '';
    expect({ aptCalls, status: result.status, stderr: result.stderr.trim() }).toEqual({
      aptCalls: '',
      status: 0,
      stderr: '',
    });
    expect(result.stdout).toContain('INSTALLED true');
  });

  it('no network: apt-get update "succeeds" with warnings, install cannot find the packages; [deps] says the network is the cause', () => {
    const bin = fakeBin({
      'dpkg-query': 'exit 1',
      // What apt does offline: transient fetch failures are warnings (exit 0) ...
      'apt-get': `if [ "$1" = update ]; then
  echo "W: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'" >&2
  echo "W: Some index files failed to download. They have been ignored, or old ones used instead." >&2
  exit 0
fi
echo "E: Unable to locate package orthanc" >&2
exit 100`,
    });
    const result = runNode(
      `import { ensureDebianPackages } from ${JSON.stringify(join(ROOT, 'scripts', 'lib', 'deps.mjs'))};
       ensureDebianPackages(['orthanc']);`,
      { PATH: bin },
    );
    expect(result.status).not.toBe(0);
    const depsLines = `${result.stdout}\n${result.stderr}`.split('\n').filter((line) => line.startsWith('[deps]'));
    expect(depsLines.join('\n')).toMatch(/network|internet|reach|offline|download/i);
  });
});

describe('deps.mjs: npm ci', () => {
  /** A root whose node_modules was installed from the real lock file, an hour ago. */
  function installedRoot(): string {
    const root = freshDir('npm-root');
    mkdirSync(join(root, 'node_modules'));
    cpSync(join(ROOT, 'package.json'), join(root, 'package.json'));
    cpSync(join(ROOT, 'package-lock.json'), join(root, 'package-lock.json'));
    cpSync(join(ROOT, 'node_modules', '.package-lock.json'), join(root, 'node_modules', '.package-lock.json'));
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(join(root, 'package-lock.json'), past, past);
    return root;
  }

  function runEnsureNpmDeps(root: string) {
    const log = join(root, 'npm.log');
    const bin = fakeBin({ npm: `echo "npm $*" >> ${JSON.stringify(log)}; exit 0` });
    const result = runNode(
      `import { ensureNpmDeps } from ${JSON.stringify(join(ROOT, 'scripts', 'lib', 'deps.mjs'))};
       ensureNpmDeps({ root: ${JSON.stringify(root)} });`,
      { PATH: bin },
    );
    return { status: result.status, npmCalls: existsSync(log) ? readFileSync(log, 'utf8') : '' };
  }

  it('does not run npm ci when package-lock.json was only touched (same content as installed)', () => {
    const root = installedRoot();
    // e.g. `git checkout other-branch && git checkout -`, or a rebase: a newer mtime than
    // node_modules' (which an mtime check took for a change), same bytes.
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'package-lock.json'), later, later);
    expect(runEnsureNpmDeps(root)).toEqual({ status: 0, npmCalls: '' });
  });

  const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

  it('runs npm ci when package-lock.json changed since the recorded npm ci, and records the new hash', () => {
    const root = installedRoot();
    const hashFile = join(root, 'node_modules', '.dwfc-lock-hash');
    writeFileSync(hashFile, `${'0'.repeat(64)}\n`);
    expect(runEnsureNpmDeps(root)).toEqual({ status: 0, npmCalls: 'npm ci --no-audit --no-fund\n' });
    expect(readFileSync(hashFile, 'utf8').trim()).toBe(sha256(join(root, 'package-lock.json')));
  });

  it('runs npm ci when node_modules was installed from another package-lock.json, even an older file', () => {
    const root = installedRoot();
    // Another version of one package, in a lock file older than node_modules (mtimes say "fresh").
    const lockFile = join(root, 'package-lock.json');
    const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
    lock.packages['node_modules/dicom-parser'].version = '0.0.1';
    writeFileSync(lockFile, JSON.stringify(lock, null, 2));
    const past = new Date(Date.now() - 7_200_000);
    utimesSync(lockFile, past, past);
    expect(runEnsureNpmDeps(root)).toEqual({ status: 0, npmCalls: 'npm ci --no-audit --no-fund\n' });
  });
});

describe('npm run demo: Debian packages', () => {
  it('installs only what the demo needs (README: orthanc, orthanc-dicomweb, orthanc-wsi, libvips-tools)', () => {
    const dir = freshDir('demo-apt');
    const log = join(dir, 'apt.log');
    const bin = fakeBin({
      'dpkg-query': 'exit 1',
      'apt-get': `echo "$*" >> ${JSON.stringify(log)}; [ "$1" = update ] && exit 0; exit 1`,
    });
    runNode(`await import(${JSON.stringify(join(ROOT, 'scripts', 'demo.mjs'))});`, { PATH: bin });
    const install = readFileSync(log, 'utf8')
      .split('\n')
      .find((line) => line.startsWith('install '));
    const packages = (install ?? '')
      .split(' ')
      .filter((word) => word !== '' && word !== 'install' && !word.startsWith('-'));
    expect(packages.toSorted()).toEqual(['libvips-tools', 'orthanc', 'orthanc-dicomweb', 'orthanc-wsi']);
  });
});

describe('npm run demo:dmv: install first', () => {
  it('runs npm ci and installs the demo packages before importing anything that needs them', () => {
    // A clone without node_modules: an import of an npm package up front fails before any install.
    const repo = join(freshDir('dmv-repo'), 'clone');
    mkdirSync(join(repo, 'scripts'), { recursive: true });
    cpSync(join(ROOT, 'scripts', 'lib'), join(repo, 'scripts', 'lib'), { recursive: true });
    cpSync(join(ROOT, 'scripts', 'demo-dmv.mjs'), join(repo, 'scripts', 'demo-dmv.mjs'));
    cpSync(join(ROOT, 'package-lock.json'), join(repo, 'package-lock.json'));
    const log = join(repo, 'calls.log');
    const bin = fakeBin({
      npm: `echo "npm $*" >> ${JSON.stringify(log)}; exit 0`,
      'dpkg-query': 'exit 1',
      'apt-get': `echo "apt-get $*" >> ${JSON.stringify(log)}; [ "$1" = update ] && exit 0; exit 1`,
    });
    const result = runNode(
      `await import(${JSON.stringify(join(repo, 'scripts', 'demo-dmv.mjs'))});`,
      { PATH: bin },
      repo,
    );
    expect(result.stderr).not.toContain('ERR_MODULE_NOT_FOUND');
    expect(existsSync(log) ? readFileSync(log, 'utf8').split('\n') : []).toEqual([
      'npm ci --no-audit --no-fund',
      'apt-get update',
      'apt-get install -y --no-install-recommends orthanc orthanc-dicomweb orthanc-wsi libvips-tools',
      '',
    ]);
    expect(result.status).toBe(1);
  });
});

describe('sample-slides.mjs', () => {
  const hasVips = existsSync('/usr/bin/vips');
  /** A missing prerequisite fails the test (npm test installs it); it is never a silent skip. */
  const needVips = (): void => {
    if (!hasVips) throw new Error('needs /usr/bin/vips: run npm test, which installs libvips-tools');
  };

  /** vips shrunk to 32x24 (real vips, real argument parsing); the dicomizer stops the run. */
  const tinyVipsBin = () =>
    fakeBin({
      vips: `case "$1" in worley|perlin) cmd=$1; out=$2; shift 4; exec /usr/bin/vips "$cmd" "$out" 32 24 "$@";; esac
exec /usr/bin/vips "$@"`,
      OrthancWSIDicomizer: 'echo "DICOMIZER-REACHED" >&2; exit 7',
    });

  it('control: in a path without spaces, every vips step of a sample runs', () => {
    needVips();
    const repo = tempRepo('plain');
    const result = runNode(ensureSlidesCode(repo), { PATH: `${tinyVipsBin()}:${process.env.PATH}` }, repo);
    expect(result.stderr).toContain('DICOMIZER-REACHED');
  });

  it('a clone whose path has a space makes the sample slides (vips bandjoin splits its image list at spaces)', () => {
    needVips();
    const repo = tempRepo('my clone');
    const result = runNode(ensureSlidesCode(repo), { PATH: `${tinyVipsBin()}:${process.env.PATH}` }, repo);
    expect(result.stderr).not.toMatch(/vips bandjoin .* failed/);
    expect(result.stderr).toContain('DICOMIZER-REACHED');
  });

  /** A repo whose .data/slides is a copy of the real, valid samples. */
  function repoWithSlides(): string {
    const repo = tempRepo('slides');
    cpSync(REAL_SLIDES, join(repo, '.data', 'slides'), { recursive: true });
    return repo;
  }

  /** A dicomizer that "writes" the files of an existing sample (by name in $DICOMIZER_FROM) into --folder. */
  const copyingDicomizerBin = () =>
    fakeBin({
      vips: 'exit 0',
      OrthancWSIDicomizer: `out=""; while [ $# -gt 0 ]; do [ "$1" = --folder ] && out=$2; shift; done
[ "$DICOMIZER_FROM" = fail ] && { echo "dicomizer interrupted" >&2; exit 130; }
cp "${REAL_SLIDES}/$DICOMIZER_FROM"/*.dcm "$out"/`,
    });

  it('a generation that fails its check leaves no manifest entry trusting the files in the sample folder', () => {
    needSlides();
    const repo = repoWithSlides();
    const bin = copyingDicomizerBin();
    // One file of 'jpeg2000' is gone, so it is made again...
    unlinkSync(join(repo, '.data', 'slides', 'jpeg2000', 'wsi-000003.dcm'));
    // ...and this generation fails its check (wrong transfer syntax).
    const first = runNode(ensureSlidesCode(repo), { PATH: `${bin}:${process.env.PATH}`, DICOMIZER_FROM: 'none' }, repo);
    expect(first.stderr).toContain('is not JPEG 2000');
    // The next run: the manifest must describe the files that are really there.
    const second = runNode(
      ensureSlidesCode(repo),
      { PATH: `${bin}:${process.env.PATH}`, DICOMIZER_FROM: 'jpeg2000' },
      repo,
    );
    const manifest = manifestOf(second.stdout);
    expect(manifest, second.stderr).toBeDefined();
    const slide = manifest.slides.jpeg2000;
    const mismatches: string[] = [];
    for (const level of slide.levels) {
      for (const instance of level.instances) {
        const bytes = readFileSync(instance.file);
        const ds = dicomParser.parseDicom(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), {
          untilTag: 'x7fe00010',
        });
        if (ds.string('x00080018') !== instance.sopInstanceUid) mismatches.push(`${instance.file}: SOP UID`);
        if (ds.string('x00020010') !== instance.transferSyntaxUid) mismatches.push(`${instance.file}: transfer syntax`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('a failed generation keeps the valid samples after it in manifest.json (no needless remake next run)', () => {
    needSlides();
    const repo = repoWithSlides();
    const bin = copyingDicomizerBin();
    const slides = join(repo, '.data', 'slides');
    // 'jpeg2000' is remade (fine), 'none' is valid, and 'split' is remade but the run is interrupted.
    unlinkSync(join(slides, 'jpeg2000', 'wsi-000003.dcm'));
    unlinkSync(join(slides, 'split', readdirSync(join(slides, 'split'))[0]!));
    const env = { PATH: `${bin}:${process.env.PATH}`, DICOMIZER_FROM: 'jpeg2000' };
    // The copying dicomizer serves jpeg2000; for 'split' (--max-size 1) make it fail.
    writeFileSync(
      join(bin, 'OrthancWSIDicomizer'),
      `#!/bin/sh
out=""; split=""; while [ $# -gt 0 ]; do [ "$1" = --folder ] && out=$2; [ "$1" = --max-size ] && [ "$2" = 1 ] && split=1; shift; done
[ -n "$split" ] && { echo "dicomizer interrupted" >&2; exit 130; }
cp "${REAL_SLIDES}/jpeg2000"/*.dcm "$out"/
`,
    );
    const result = runNode(ensureSlidesCode(repo), env, repo);
    expect(result.status).toBe(3);
    const onDisk = JSON.parse(readFileSync(join(slides, 'manifest.json'), 'utf8'));
    expect(Object.keys(onDisk.slides).toSorted()).toEqual(['jpeg', 'jpeg2000', 'none']);
  });
});

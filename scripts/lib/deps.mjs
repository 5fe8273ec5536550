// Installs what `npm test` and `npm run demo` need on a fresh Debian 12 machine: the npm
// dependencies (from the committed package-lock.json) and a few Debian packages.
// Plain Node ESM with no imports outside node:*, because it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (scripts/lib/../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * What the tests, the demo and the benchmarks need: Orthanc with its DICOMweb and WSI plugins
 * (the WSI package brings OrthancWSIDicomizer), vips for synthetic slides, and Chromium for the
 * browser tests. `--no-install-recommends` is enough for all of them: their Recommends are
 * orthanc (listed anyway), libopenslide0 (only for non-TIFF input), chromium-sandbox (we run
 * with --no-sandbox) and desktop extras (upower, udev, mesa DRI, notification daemon, printer
 * setup); a font still arrives through fontconfig-config's Depends. nginx is the shared HTTP cache
 * (`proxy_cache`) the shared-cache tests and `npm run bench:shared` put in front of Orthanc
 * (scripts/lib/nginx.mjs starts private instances; the package's own service is not used).
 * The decoding tests check pixels against independent decoders: OpenJPEG's command-line tools
 * (libopenjp2-tools), libjpeg-turbo's djpeg (libjpeg-turbo-progs), and pydicom with numpy
 * (native and RLE Lossless frames).
 */
export const DEBIAN_PACKAGES = Object.freeze([
  'orthanc',
  'orthanc-dicomweb',
  'orthanc-wsi',
  'libvips-tools',
  'chromium',
  'nginx',
  // The bench's emulated links make a self-signed certificate with it (scripts/lib/link-proxy.mjs).
  'openssl',
  'libopenjp2-tools',
  'libjpeg-turbo-progs',
  'python3-pydicom',
  'python3-numpy',
]);

let aptUpdated = false;

/**
 * Runs `npm ci` when node_modules is missing or older than package-lock.json, streaming npm's
 * output. Exits the process with npm's exit code when it fails.
 * @param {{ root?: string }} [options]
 */
export function ensureNpmDeps({ root = REPO_ROOT } = {}) {
  const lock = join(root, 'package-lock.json');
  const installedLock = join(root, 'node_modules', '.package-lock.json');
  let reason;
  if (!existsSync(join(root, 'node_modules'))) reason = 'node_modules is missing';
  else if (!existsSync(installedLock)) reason = 'node_modules/.package-lock.json is missing';
  else if (existsSync(lock) && statSync(lock).mtimeMs > statSync(installedLock).mtimeMs) {
    reason = 'package-lock.json is newer than node_modules';
  }
  if (reason === undefined) return;
  console.log(`[deps] ${reason}: running npm ci`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error !== undefined ? result.error.message : `exit code ${result.status}`;
    console.error(`[deps] npm ci failed (${why})`);
    process.exit(result.status || 1);
  }
}

/**
 * Installs the Debian packages among `names` that are not installed yet (`apt-get update` at
 * most once per process). Where that is impossible (not root, no apt-get) it prints the
 * packages and the command to run, and exits with code 1.
 * @param {readonly string[]} [names]
 */
export function ensureDebianPackages(names = DEBIAN_PACKAGES) {
  const missing = names.filter((name) => !isDebianPackageInstalled(name));
  if (missing.length === 0) return;
  const list = missing.join(' ');
  const hasApt = commandExists('apt-get');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!hasApt || !isRoot) {
    const why = !hasApt ? 'apt-get is not available on this machine' : 'this process is not running as root';
    const sudo = isRoot ? '' : 'sudo ';
    console.error(
      `[deps] Missing Debian packages: ${list}\n` +
        `[deps] Cannot install them automatically: ${why}.\n` +
        `[deps] Install them (Debian 12) with:\n` +
        `  ${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${list}`,
    );
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    console.log('[deps] apt-get update');
    runOrExit('apt-get', ['update'], env);
    aptUpdated = true;
  }
  console.log(`[deps] apt-get install -y --no-install-recommends ${list}`);
  runOrExit('apt-get', ['install', '-y', '--no-install-recommends', ...missing], env);
  const stillMissing = missing.filter((name) => !isDebianPackageInstalled(name));
  if (stillMissing.length > 0) {
    console.error(`[deps] apt-get finished but these packages are still not installed: ${stillMissing.join(' ')}`);
    process.exit(1);
  }
}

/**
 * @param {string} name
 * @returns {boolean}
 */
export function isDebianPackageInstalled(name) {
  const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim() === 'install ok installed';
}

/** @param {string} command */
function commandExists(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * @param {string} command
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 */
function runOrExit(command, args, env) {
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.error !== undefined || result.status !== 0) {
    const why = result.error !== undefined ? result.error.message : `exit code ${result.status}`;
    console.error(`[deps] ${command} ${args.join(' ')} failed (${why})`);
    process.exit(result.status || 1);
  }
}

// Installs what `npm test` and `npm run demo` need on a fresh Debian 12 machine: the npm
// dependencies (from the committed package-lock.json) and a few Debian packages.
// Plain Node ESM with no imports outside node:*, because it runs before node_modules exists.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * What `npm run demo` and `npm run demo:dmv` start: Orthanc with its DICOMweb and WSI plugins,
 * OrthancWSIDicomizer (orthanc-wsi) and vips for the sample slides. No browser, nginx or decoders.
 */
export const DEMO_PACKAGES = Object.freeze(['orthanc', 'orthanc-dicomweb', 'orthanc-wsi', 'libvips-tools']);

/** Where ensureNpmDeps records the SHA-256 of the package-lock.json it last installed. */
const LOCK_HASH_FILE = join('node_modules', '.dwfc-lock-hash');

/**
 * What apt prints when it cannot reach the archive: offline `apt-get update` only warns (exit 0),
 * and the install then cannot find the packages or fetch them.
 */
const APT_UNREACHABLE =
  /Failed to fetch|Temporary failure resolving|Could not resolve|Could not connect|Unable to connect|Some index files failed to download/;

let aptUpdated = false;
/** `apt-get update` of this process warned that it could not download some index. */
let aptUpdateUnreachable = false;

/**
 * Runs `npm ci` when node_modules is missing or was installed from another package-lock.json
 * (by content: a checkout or rebase that only touches the file changes nothing), streaming npm's
 * output. Exits the process with npm's exit code when it fails.
 * @param {{ root?: string }} [options]
 */
export function ensureNpmDeps({ root = REPO_ROOT } = {}) {
  const lock = join(root, 'package-lock.json');
  const installedLock = join(root, 'node_modules', '.package-lock.json');
  const hashFile = join(root, LOCK_HASH_FILE);
  const lockText = existsSync(lock) ? readFileSync(lock, 'utf8') : '';
  const lockHash = createHash('sha256').update(lockText).digest('hex');
  let reason;
  if (!existsSync(join(root, 'node_modules'))) reason = 'node_modules is missing';
  else if (!existsSync(installedLock)) reason = 'node_modules/.package-lock.json is missing';
  else if (existsSync(hashFile)) {
    if (readFileSync(hashFile, 'utf8').trim() !== lockHash) {
      reason = 'package-lock.json changed since node_modules was installed';
    }
  } else if (matchesInstalledLock(lockText, installedLock)) {
    // Installed by hand (`npm ci`): npm's own record agrees with the lock file.
    writeLockHash(hashFile, lockHash);
  } else {
    reason = 'node_modules does not match package-lock.json';
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
  writeLockHash(hashFile, lockHash);
}

/**
 * Whether npm's record of what it installed (node_modules/.package-lock.json) has every package of
 * package-lock.json at the locked version; optional packages (other platforms') may be absent.
 * @param {string} lockText
 * @param {string} installedLock
 */
function matchesInstalledLock(lockText, installedLock) {
  try {
    /** @type {Record<string, { version?: string, resolved?: string, integrity?: string, optional?: boolean }>} */
    const locked = JSON.parse(lockText).packages;
    /** @type {typeof locked} */
    const installed = JSON.parse(readFileSync(installedLock, 'utf8')).packages;
    return Object.entries(locked).every(([path, entry]) => {
      if (path === '') return true;
      const found = installed[path];
      if (found === undefined) return entry.optional === true;
      return (
        found.version === entry.version && found.resolved === entry.resolved && found.integrity === entry.integrity
      );
    });
  } catch {
    return false;
  }
}

/**
 * @param {string} hashFile
 * @param {string} hash
 */
function writeLockHash(hashFile, hash) {
  try {
    writeFileSync(hashFile, `${hash}\n`);
  } catch {
    // Only an optimisation: the next run compares the installed lock file again.
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
  const byHand = `  apt-get update && apt-get install -y --no-install-recommends ${list}`;
  if (!aptUpdated) {
    console.log('[deps] apt-get update');
    const update = runApt(['update'], env);
    aptUpdateUnreachable = APT_UNREACHABLE.test(update.stderr);
    if (update.failure !== undefined) exitAptFailed('apt-get update', update.failure, aptUpdateUnreachable, byHand);
    aptUpdated = true;
  }
  console.log(`[deps] apt-get install -y --no-install-recommends ${list}`);
  const install = runApt(['install', '-y', '--no-install-recommends', ...missing], env);
  if (install.failure !== undefined) {
    const unreachable =
      APT_UNREACHABLE.test(install.stderr) || (aptUpdateUnreachable && /Unable to locate package/.test(install.stderr));
    exitAptFailed('apt-get install', install.failure, unreachable, byHand);
  }
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
  // The package state alone: a held package ('hold ok installed') is installed too.
  const result = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Status}', name], { encoding: 'utf8' });
  return result.status === 0 && result.stdout.trim() === 'installed';
}

/** @param {string} command */
function commandExists(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs apt-get with its output shown; stderr is also kept, to tell an unreachable archive.
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @returns {{ failure: string | undefined, stderr: string }}
 */
function runApt(args, env) {
  const result = spawnSync('apt-get', args, {
    stdio: ['inherit', 'inherit', 'pipe'],
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const stderr = result.stderr ?? '';
  process.stderr.write(stderr);
  if (result.error !== undefined) return { failure: result.error.message, stderr };
  return { failure: result.status === 0 ? undefined : `exit code ${result.status}`, stderr };
}

/**
 * @param {string} command
 * @param {string} why
 * @param {boolean} unreachable
 * @param {string} byHand
 * @returns {never}
 */
function exitAptFailed(command, why, unreachable, byHand) {
  console.error(
    `[deps] ${command} failed (${why}).\n` +
      (unreachable
        ? '[deps] The Debian archive could not be reached: is the network up, or is a proxy needed (http_proxy, Acquire::http::Proxy)?\n'
        : '') +
      `[deps] Install the packages by hand (Debian 12) with:\n${byHand}`,
  );
  process.exit(1);
}

// Starts a private Orthanc (DICOMweb + WSI plugins) on free loopback ports with its own storage,
// for the integration tests, the demo and the benchmarks. Every Orthanc started here is killed
// when this process exits (normally, on an uncaught error, or on SIGINT/SIGTERM/SIGHUP).
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ORTHANC_CANDIDATES = [
  '/usr/sbin/Orthanc',
  '/usr/bin/Orthanc',
  '/usr/local/bin/Orthanc',
  '/usr/local/sbin/Orthanc',
];
const PLUGIN_DIRS = ['/usr/share/orthanc/plugins', '/usr/lib/orthanc', '/usr/local/share/orthanc/plugins'];
const PLUGIN_FILES = ['libOrthancDicomWeb.so', 'libOrthancWSI.so'];
const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3;
const RUN_DIR_PREFIX = 'dwfc-orthanc-';
const STALE_UNOWNED_MS = 10 * 60_000;

/** @type {Set<{ child: import('node:child_process').ChildProcess, cleanup: () => void }>} */
const running = new Set();
let handlersInstalled = false;

/**
 * @typedef {{ username: string, password: string }} OrthancAuth
 * @typedef {{
 *   url: string, dicomWebUrl: string, port: number, dicomPort: number, pid: number,
 *   storageDir: string, logFile: string, configFile: string,
 *   auth: OrthancAuth | undefined, headers: Record<string, string>,
 *   stop(): Promise<void>,
 * }} OrthancServer
 */

/**
 * Starts Orthanc and resolves once `GET /system` answers.
 * @param {{
 *   compression?: boolean, auth?: OrthancAuth, storageDir?: string, keepStorage?: boolean,
 *   maximumStorageCacheSizeMb?: number, httpThreadsCount?: number, verbose?: boolean,
 * }} [options]
 * @returns {Promise<OrthancServer>}
 */
export async function startOrthanc(options = {}) {
  const binary = findOrthancBinary();
  const plugins = PLUGIN_FILES.map(findPlugin);
  let lastError;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, plugins, options);
    } catch (error) {
      lastError = error;
      // Another process may have taken a port between our probe and Orthanc's bind: retry.
      if (!(error instanceof Error) || !/port of the HTTP server is privileged or already in use/.test(error.message))
        throw error;
    }
  }
  throw lastError;
}

/**
 * @param {string} binary
 * @param {string[]} plugins
 * @param {Parameters<typeof startOrthanc>[0] & {}} options
 * @returns {Promise<OrthancServer>}
 */
async function startOnce(binary, plugins, options) {
  const {
    compression = true,
    auth,
    storageDir: givenStorageDir,
    keepStorage = false,
    maximumStorageCacheSizeMb = 512,
    httpThreadsCount = 50,
    verbose = false,
  } = options;
  removeStaleRunDirs();
  const runDir = mkdtempSync(join(tmpdir(), RUN_DIR_PREFIX));
  // Lets a later start remove this directory if this process dies before cleaning up.
  writeFileSync(join(runDir, 'owner.json'), JSON.stringify({ parentPid: process.pid, keep: keepStorage }));
  const ownsStorage = givenStorageDir === undefined;
  const storageDir = givenStorageDir ?? join(runDir, 'storage');
  const configFile = join(runDir, 'orthanc.json');
  const logFile = join(runDir, 'orthanc.log');
  let port = 0;
  let dicomPort = 0;
  try {
    mkdirSync(storageDir, { recursive: true });
    [port = 0, dicomPort = 0] = await findFreePorts(2);
    /** @type {Record<string, unknown>} */
    const config = {
      Name: `dwfc-test-${port}`,
      HttpPort: port,
      DicomPort: dicomPort,
      // The DICOM (C-STORE) server would listen on every interface; nothing here needs it.
      DicomServerEnabled: false,
      StorageDirectory: storageDir,
      IndexDirectory: storageDir,
      RemoteAccessAllowed: false,
      AuthenticationEnabled: auth !== undefined,
      HttpCompressionEnabled: compression,
      MaximumStorageCacheSize: maximumStorageCacheSizeMb,
      HttpThreadsCount: httpThreadsCount,
      ConcurrentJobs: 1,
      KeepAlive: true,
      // Orthanc closes idle keep-alive sockets after 1 s by default; clients (undici) reuse them
      // later and see "other side closed". A long timeout keeps test and bench runs free of that.
      KeepAliveTimeout: 60,
      TcpNoDelay: true,
      SaveJobs: false,
      SyncStorageArea: false,
      StorageCompression: false,
      Plugins: plugins,
      DicomWeb: { Enable: true, Root: '/dicom-web/' },
    };
    if (auth !== undefined) config.RegisteredUsers = { [auth.username]: auth.password };
    writeFileSync(configFile, JSON.stringify(config, null, 2));
  } catch (error) {
    rmSync(runDir, { recursive: true, force: true });
    throw error;
  }

  const removeRunDir = () => {
    if (keepStorage) return;
    rmSync(runDir, { recursive: true, force: true });
  };
  const logFd = openSync(logFile, 'a');
  const args = [...(verbose ? ['--verbose'] : []), '--no-jobs', configFile];
  // setpriv --pdeathsig makes the kernel kill Orthanc even if this process dies by SIGKILL.
  const usePdeathsig = existsSync('/usr/bin/setpriv');
  const child = usePdeathsig
    ? spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', binary, ...args], { stdio: ['ignore', logFd, logFd] })
    : spawn(binary, args, { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  // A script that forgets stop() still ends (and the exit handler kills Orthanc).
  child.unref();
  /** @type {{ code: number | null, signal: NodeJS.Signals | null } | undefined} */
  let exited;
  const exitPromise = new Promise((resolveExit) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolveExit(undefined);
    });
  });
  /** @type {Error | undefined} */
  let spawnError;
  child.once('error', (error) => {
    spawnError = error;
  });
  const entry = {
    child,
    cleanup: () => {
      if (exited === undefined) child.kill('SIGKILL');
      removeRunDir();
    },
  };
  running.add(entry);
  installExitHandlers();

  const url = `http://127.0.0.1:${port}`;
  /** @type {Record<string, string>} */
  const headers =
    auth === undefined
      ? {}
      : { Authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` };

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      child.ref(); // keep this process alive until Orthanc has exited
      if (exited === undefined && ownsStorage && !keepStorage) {
        // The storage is thrown away: nothing to flush, and a graceful shutdown costs ~2.5 s.
        child.kill('SIGKILL');
        await exitPromise;
      } else if (exited === undefined) {
        await fetch(`${url}/tools/shutdown`, { method: 'POST', headers, signal: AbortSignal.timeout(STOP_GRACE_MS) })
          .then((response) => response.arrayBuffer())
          .catch(() => undefined);
        const timer = new Promise((resolveTimer) => setTimeout(resolveTimer, STOP_GRACE_MS).unref());
        await Promise.race([exitPromise, timer]);
        if (exited === undefined) {
          child.kill('SIGKILL');
          await exitPromise;
        }
      }
      running.delete(entry);
      removeRunDir();
    })();
    return stopping;
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (spawnError !== undefined || exited !== undefined) {
      const why = spawnError !== undefined ? spawnError.message : `exited with ${exited?.code ?? exited?.signal}`;
      const message = `Orthanc failed to start (${why}).\n${describeLog(logFile)}`;
      running.delete(entry);
      removeRunDir();
      throw new Error(message);
    }
    if (await answersSystem(url, headers)) break;
    if (Date.now() > deadline) {
      const message = `Orthanc did not answer GET ${url}/system within ${START_TIMEOUT_MS / 1000} s.\n${describeLog(logFile)}`;
      await stop();
      throw new Error(message);
    }
    await new Promise((resolveTimer) => setTimeout(resolveTimer, 100));
  }

  return {
    url,
    dicomWebUrl: `${url}/dicom-web`,
    port,
    dicomPort,
    pid: child.pid ?? -1,
    storageDir,
    logFile,
    configFile,
    auth,
    headers,
    stop,
  };
}

/**
 * Uploads Part 10 files with `POST /instances`, a few at a time.
 * @param {Pick<OrthancServer, 'url' | 'headers'>} orthanc
 * @param {readonly string[]} files
 * @returns {Promise<Array<{ ID: string, ParentSeries: string, ParentStudy: string, Status: string, Path: string }>>}
 */
export async function uploadDicomFiles(orthanc, files) {
  /** @type {any[]} */
  const results = Array.from({ length: files.length });
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const index = next++;
      const file = /** @type {string} */ (files[index]);
      const response = await fetch(`${orthanc.url}/instances`, {
        method: 'POST',
        headers: { ...orthanc.headers, 'Content-Type': 'application/dicom' },
        body: readFileSync(file),
      });
      const text = await response.text();
      if (response.status !== 200) {
        throw new Error(
          `Uploading ${file} to ${orthanc.url}/instances answered ${response.status}: ${text.slice(0, 500)}`,
        );
      }
      results[index] = JSON.parse(text);
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, files.length) }, worker));
  return results;
}

/**
 * Lists the series stored in Orthanc (`GET /series?expand`).
 * @param {Pick<OrthancServer, 'url' | 'headers'>} orthanc
 * @returns {Promise<Array<{ ID: string, ParentStudy: string, Instances: string[], MainDicomTags: Record<string, string> }>>}
 */
export async function listSeries(orthanc) {
  const response = await fetch(`${orthanc.url}/series?expand`, { headers: orthanc.headers });
  if (response.status !== 200) throw new Error(`GET ${orthanc.url}/series answered ${response.status}`);
  return /** @type {any} */ (await response.json());
}

/** @returns {string} */
export function findOrthancBinary() {
  for (const candidate of ORTHANC_CANDIDATES) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v Orthanc'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim() !== '') return which.stdout.trim();
  throw new Error(
    'Orthanc is not installed (no /usr/sbin/Orthanc): apt-get install -y orthanc orthanc-dicomweb orthanc-wsi',
  );
}

/** @param {string} file */
function findPlugin(file) {
  for (const dir of PLUGIN_DIRS) if (existsSync(join(dir, file))) return join(dir, file);
  throw new Error(
    `Orthanc plugin ${file} not found in ${PLUGIN_DIRS.join(', ')}: apt-get install -y orthanc-dicomweb orthanc-wsi`,
  );
}

/**
 * Ports the kernel reports free on 127.0.0.1 (all held at once, so they differ).
 * @param {number} count
 * @returns {Promise<number[]>}
 */
async function findFreePorts(count) {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((resolveServer, rejectServer) => {
          const server = createServer();
          server.once('error', rejectServer);
          server.listen(0, '127.0.0.1', () => resolveServer(server));
        }),
    ),
  );
  const ports = servers.map((server) => /** @type {import('node:net').AddressInfo} */ (server.address()).port);
  await Promise.all(servers.map((server) => new Promise((resolveClose) => server.close(resolveClose))));
  return ports;
}

/**
 * @param {string} url
 * @param {Record<string, string>} headers
 */
async function answersSystem(url, headers) {
  try {
    const response = await fetch(`${url}/system`, { headers, signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** @param {string} logFile */
function describeLog(logFile) {
  let text = '';
  try {
    text = readFileSync(logFile, 'utf8');
  } catch {
    return `(no log at ${logFile})`;
  }
  const tail = text.trimEnd().split('\n').slice(-30).join('\n');
  return `Orthanc log (last 30 lines):\n${tail}`;
}

/**
 * Removes the run directories left behind by processes killed with SIGKILL (no exit handler ran;
 * setpriv --pdeathsig already killed their Orthanc).
 */
function removeStaleRunDirs() {
  let names = [];
  try {
    names = readdirSync(tmpdir()).filter((name) => name.startsWith(RUN_DIR_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(tmpdir(), name);
    try {
      const ownerFile = join(dir, 'owner.json');
      if (existsSync(ownerFile)) {
        const owner = JSON.parse(readFileSync(ownerFile, 'utf8'));
        if (owner.keep === true || isAlive(owner.parentPid)) continue;
      } else if (Date.now() - statSync(dir).mtimeMs < STALE_UNOWNED_MS) {
        continue; // being created right now
      }
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // already gone, or not readable
    }
  }
}

/** @param {number} pid */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

function killAll() {
  for (const entry of running) {
    try {
      entry.cleanup();
    } catch {
      // best effort while exiting
    }
  }
  running.clear();
}

function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAll);
  // In a forked test worker: when the parent (the test runner) dies, the IPC channel closes.
  if (typeof process.send === 'function') process.once('disconnect', killAll);
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    const onSignal = () => {
      killAll();
      process.off(signal, onSignal);
      // Keep the default behaviour (terminate) unless someone else handles this signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

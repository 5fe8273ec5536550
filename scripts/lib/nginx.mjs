// A private nginx with `proxy_cache` in front of a DICOMweb server, on a free loopback port with a
// temporary cache directory and a generated configuration: the shared HTTP cache of the tests and
// of `npm run bench:shared` (docs/http-caching.md). Optionally serves a directory of static files
// on the same origin (a test page), so the page's requests need no CORS.
// Every nginx started here is killed when this process exits, however it exits.
// Plain Node ESM with node:* imports only.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx', '/usr/local/bin/nginx'];
const START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3;
const READY_PATH = '/__nginx/ready';
/** Logged, answered 204: the barrier of settledLog(). */
const LOG_MARK_PATH = '/__nginx/log-mark/';
const LOG_MARK_TIMEOUT_MS = 10_000;

/** @type {Set<() => void>} */
const running = new Set();
let handlersInstalled = false;

/**
 * The cache key and the rule for credentials (docs/http-caching.md):
 * - 'public-only': a request carrying `Authorization` or a cookie is passed to the server and its
 *   answer never stored (`X-Cache-Status: BYPASS`); anonymous requests share one cache.
 * - 'per-credential': the credential is part of the cache key: a user is only ever served
 *   answers fetched with the same `Authorization` header.
 * @typedef {'public-only' | 'per-credential'} NginxAuthPolicy
 */

/**
 * The `location`s of the DICOMweb root: WADO-RS reads of instances and frames (immutable: a
 * changed image gets a new SOP Instance UID) are cached; every other DICOMweb request (searches,
 * metadata) is passed through uncached. Exported so docs and tests show the very text.
 * @param {{ upstream: string, auth?: NginxAuthPolicy, validFor?: string, browserCacheControl?: string, cacheLock?: boolean }} options
 */
export function dicomwebCacheLocation({
  upstream,
  auth = 'public-only',
  validFor = '1h',
  browserCacheControl,
  cacheLock = true,
}) {
  const target = upstream.replace(/\/+$/, '');
  const key =
    auth === 'per-credential'
      ? '"$scheme$proxy_host$request_uri|$http_accept|$http_authorization|$http_cookie"'
      : '"$scheme$proxy_host$request_uri|$http_accept"';
  const lines = [
    'location ~ ^/dicom-web/studies/[^/]+/series/[^/]+/instances/[^/]+(/frames/[0-9,]+)?/?$ {',
    `  proxy_pass ${target};`,
    '  proxy_http_version 1.1;',
    '  proxy_set_header Connection "";',
    // One stored variant whatever the client accepts (Orthanc sends no Vary: Accept-Encoding).
    '  proxy_set_header Accept-Encoding "";',
    '  proxy_cache dwfc;',
    // The same URL with another Accept is another representation (Orthanc sends no Vary).
    `  proxy_cache_key ${key};`,
    `  proxy_cache_valid 200 ${validFor};`,
    '  proxy_read_timeout 120s;',
  ];
  if (cacheLock) {
    // Concurrent misses of one key wait for the first answer instead of all reaching the server
    // (nginx checks the lock every 500 ms: a waiter pays up to that much on top).
    lines.push('  proxy_cache_lock on;', '  proxy_cache_lock_timeout 60s;', '  proxy_cache_lock_age 60s;');
  }
  if (auth === 'public-only') {
    // nginx itself would serve an answer fetched with credentials to anyone (docs/http-caching.md).
    lines.push(
      '  proxy_cache_bypass $http_authorization $http_cookie;',
      '  proxy_no_cache $http_authorization $http_cookie;',
    );
  }
  if (browserCacheControl !== undefined) {
    lines.push('  proxy_hide_header Cache-Control;', `  add_header Cache-Control "${browserCacheControl}" always;`);
  }
  lines.push(
    '  add_header X-Cache-Status $upstream_cache_status always;',
    '}',
    'location /dicom-web/ {',
    `  proxy_pass ${target};`,
    '  proxy_http_version 1.1;',
    '  proxy_set_header Connection "";',
    '}',
  );
  return lines.join('\n');
}

/**
 * @typedef {{ time: number, method: string, uri: string, status: number, cache: string,
 *   bytes: number, accept: string, requestMs: number }} NginxLogEntry
 *   cache: $upstream_cache_status (HIT, MISS, BYPASS, EXPIRED, ...; '' when no cache was involved)
 */

/**
 * Starts nginx and resolves once it answers.
 * @param {{ upstream: string, staticRoot?: string, auth?: NginxAuthPolicy, validFor?: string,
 *   browserCacheControl?: string, cacheLock?: boolean, host?: string }} options
 *   upstream: `http://127.0.0.1:PORT` of the DICOMweb server (its `/dicom-web/` is cached);
 *   staticRoot: a directory served at `/`; browserCacheControl: replaces the server's
 *   Cache-Control towards browsers (unset: the server's own header passes unchanged)
 */
export async function startNginx(options) {
  const binary = findNginxBinary();
  let lastError;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (error) {
      lastError = error;
      // Another process may have taken the port between our probe and nginx's bind: retry.
      if (!(error instanceof Error) || !/Address already in use/.test(error.message)) throw error;
    }
  }
  throw lastError;
}

/** @returns {string} */
export function findNginxBinary() {
  const found = NGINX_CANDIDATES.find((path) => existsSync(path));
  if (found === undefined) {
    throw new Error(
      `nginx not found (looked at ${NGINX_CANDIDATES.join(', ')}); install the Debian package nginx (npm test does)`,
    );
  }
  return found;
}

/**
 * @param {string} binary
 * @param {Parameters<typeof startNginx>[0]} options
 */
async function startOnce(binary, options) {
  const { staticRoot, host = '127.0.0.1' } = options;
  const runDir = mkdtempSync(join(tmpdir(), 'dwfc-nginx-'));
  const removeRunDir = () => rmSync(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  const accessLog = join(runDir, 'access.log');
  const errorLog = join(runDir, 'error.log');
  const port = await findFreePort(host);
  for (const dir of ['cache', 'tmp/client', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi'])
    mkdirSync(join(runDir, dir), { recursive: true });
  writeFileSync(accessLog, '');
  const config = `# Generated by scripts/lib/nginx.mjs
daemon off;
# One process, no workers: the parent-death signal below then ends all of nginx (with a master,
# setpriv's SIGKILL reached the master only and its worker stayed). Nothing here needs workers:
# a fresh cache of one run needs neither the cache manager nor the loader.
master_process off;
${isRoot() ? `user ${userInfo().username};` : ''}
pid ${join(runDir, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 1024; }
http {
  types { text/html html; text/javascript js mjs; application/json json; text/css css; image/svg+xml svg; }
  default_type application/octet-stream;
  log_format dwfc escape=json '{"time":$msec,"method":"$request_method","uri":"$request_uri","status":$status,'
    '"cache":"$upstream_cache_status","bytes":$body_bytes_sent,"accept":"$http_accept","requestMs":$request_time}';
  access_log ${accessLog} dwfc;
  client_body_temp_path ${join(runDir, 'tmp/client')};
  proxy_temp_path ${join(runDir, 'tmp/proxy')};
  fastcgi_temp_path ${join(runDir, 'tmp/fastcgi')};
  uwsgi_temp_path ${join(runDir, 'tmp/uwsgi')};
  scgi_temp_path ${join(runDir, 'tmp/scgi')};
  proxy_cache_path ${join(runDir, 'cache')} levels=1:2 keys_zone=dwfc:10m max_size=2g inactive=1h use_temp_path=off;
  sendfile on;
  server {
    listen ${host}:${port};
    location = ${READY_PATH} { access_log off; return 204; }
    location ^~ ${LOG_MARK_PATH} { return 204; }
${indent(dicomwebCacheLocation(options), 4)}
${staticRoot === undefined ? '' : `    location / { root ${staticRoot}; }`}
  }
}
`;
  const configFile = join(runDir, 'nginx.conf');
  writeFileSync(configFile, config);
  const args = ['-p', runDir, '-c', configFile, '-e', errorLog];
  // setpriv --pdeathsig: the kernel kills nginx even when this process dies by SIGKILL (as for
  // Orthanc in orthanc.mjs).
  const child = existsSync('/usr/bin/setpriv')
    ? spawn('/usr/bin/setpriv', ['--pdeathsig', 'KILL', binary, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += String(chunk)));
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
  child.once('error', (error) => (spawnError = error));
  const kill = () => {
    if (exited === undefined) child.kill('SIGKILL');
    removeRunDir();
  };
  running.add(kill);
  installExitHandlers();

  const url = `http://${host}:${port}`;
  let logMarks = 0;
  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      child.ref();
      if (exited === undefined) {
        child.kill('SIGQUIT'); // graceful: finish answers in progress
        const timer = new Promise((resolveTimer) => setTimeout(resolveTimer, STOP_GRACE_MS).unref());
        await Promise.race([exitPromise, timer]);
        if (exited === undefined) {
          child.kill('SIGKILL');
          await exitPromise;
        }
      }
      running.delete(kill);
      removeRunDir();
    })();
    return stopping;
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (spawnError !== undefined || exited !== undefined) {
      const why = spawnError !== undefined ? spawnError.message : `exited with ${exited?.code ?? exited?.signal}`;
      const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
      running.delete(kill);
      removeRunDir();
      throw new Error(`nginx failed to start (${why}).\n${stderr}${log}`);
    }
    const ready = await fetch(`${url}${READY_PATH}`).then(
      (response) => response.status === 204,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`nginx did not answer ${url}${READY_PATH} within ${START_TIMEOUT_MS / 1000} s.\n${stderr}`);
    }
    await new Promise((resolveTimer) => setTimeout(resolveTimer, 50));
  }

  return {
    url,
    port,
    pid: child.pid ?? -1,
    configFile,
    cacheDir: join(runDir, 'cache'),
    /**
     * Entries of the access log as the file is now, oldest first. nginx writes each line after
     * the answer's last byte went out, so a client can hold a whole answer before its line is
     * there: to count what a client did, use settledLog().
     */
    readLog: () => parseLog(readFileSync(accessLog, 'utf8')),
    /**
     * The access log once every answer a client had received before this call is in it: sends a
     * request of its own (a mark) and waits for the mark's line. nginx runs one event loop and
     * writes an answer's line in the step that sends its last byte, so a line of an answer
     * received before the mark was sent is written before the mark's. Marks are left out.
     */
    settledLog: async () => {
      const mark = `${LOG_MARK_PATH}${++logMarks}`;
      const response = await fetch(`${url}${mark}`);
      if (response.status !== 204) throw new Error(`nginx answered ${response.status} to its log mark ${mark}`);
      const markDeadline = Date.now() + LOG_MARK_TIMEOUT_MS;
      for (;;) {
        const entries = parseLog(readFileSync(accessLog, 'utf8'));
        const at = entries.findIndex((entry) => entry.uri === mark);
        if (at >= 0) return entries.slice(0, at).filter((entry) => !entry.uri.startsWith(LOG_MARK_PATH));
        if (Date.now() > markDeadline)
          throw new Error(`nginx did not log ${mark} within ${LOG_MARK_TIMEOUT_MS / 1000} s (${accessLog})`);
        await new Promise((resolveTimer) => setTimeout(resolveTimer, 5));
      }
    },
    /** Empties the access log (nginx appends, so it keeps writing to the same file). */
    clearLog: () => truncateSync(accessLog, 0),
    stop,
  };
}

/**
 * @param {string} text
 * @returns {NginxLogEntry[]}
 */
function parseLog(text) {
  // Whole lines only: a line nginx is writing now has no newline yet.
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => /** @type {NginxLogEntry} */ (JSON.parse(line)))
    .map((entry) => ({ ...entry, time: entry.time * 1000, requestMs: entry.requestMs * 1000 }));
}

/** @param {string} text @param {number} spaces */
function indent(text, spaces) {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** @param {string} host @returns {Promise<number>} */
function findFreePort(host) {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const killAll = () => {
    for (const kill of running) kill();
    running.clear();
  };
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

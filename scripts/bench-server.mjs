// The benchmark's one origin: serves the built bench page and proxies /dicom-web/ to Orthanc for
// every peer alike (no CORS preflight, no per-peer proxy), keeping a request log (the requests and
// the bytes each peer took from the server). Every answer carries COOP/COEP, so the page is
// cross-origin isolated and performance.now() is not coarsened to 100 µs. Proxied answers get
// `Cache-Control: no-store`, so no run is served from the browser's HTTP cache.
import { createReadStream, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * @typedef {{ method: string, path: string, accept: string, status: number, bytes: number,
 *   encoding: string, startMs: number, ttfbMs: number, endMs: number }} BenchLogEntry
 *   ttfbMs: from the request reaching this server to Orthanc's answer headers
 */

/**
 * @param {{ root: string, target?: string }} options  root: directory of the built page
 */
export async function startBenchServer({ root, target }) {
  /** @type {URL | undefined} */
  let targetUrl = target === undefined ? undefined : new URL(target);
  /** @type {BenchLogEntry[]} */
  const log = [];
  let agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/favicon.ico') {
      res.writeHead(204, ISOLATION).end();
      return;
    }
    if (path.startsWith('/dicom-web/')) {
      proxy(req, res, path);
      return;
    }
    serveFile(res, path);
  });

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {string} path
   */
  function proxy(req, res, path) {
    if (targetUrl === undefined) {
      res.writeHead(503, ISOLATION).end('no Orthanc');
      return;
    }
    /** @type {BenchLogEntry} */
    const entry = {
      method: req.method ?? 'GET',
      path,
      accept: String(req.headers.accept ?? ''),
      status: 0,
      bytes: 0,
      encoding: '',
      startMs: performance.now(),
      ttfbMs: 0,
      endMs: 0,
    };
    log.push(entry);
    const headers = { ...req.headers, host: targetUrl.host };
    delete headers.origin;
    delete headers.referer;
    delete headers.cookie;
    const upstream = http.request(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path, headers, agent },
      (up) => {
        entry.status = up.statusCode ?? 0;
        entry.ttfbMs = performance.now() - entry.startMs;
        entry.encoding = String(up.headers['content-encoding'] ?? '');
        res.writeHead(up.statusCode ?? 502, { ...up.headers, ...ISOLATION, 'cache-control': 'no-store' });
        up.on('data', (chunk) => (entry.bytes += chunk.length));
        up.on('end', () => (entry.endMs = performance.now()));
        up.pipe(res);
      },
    );
    upstream.on('error', (error) => {
      entry.status = 502;
      entry.endMs = performance.now();
      if (!res.headersSent) res.writeHead(502, ISOLATION);
      res.end(String(error));
    });
    req.pipe(upstream);
  }

  /**
   * @param {http.ServerResponse} res
   * @param {string} urlPath
   */
  function serveFile(res, urlPath) {
    const clean = decodeURIComponent(urlPath.split('?')[0] ?? '/');
    const relative = normalize(clean === '/' ? '/index.html' : clean).replace(/^([/\\])+/, '');
    const file = join(root, relative);
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, ISOLATION).end('not found');
      return;
    }
    const type = TYPES[/** @type {keyof typeof TYPES} */ (extname(file))] ?? 'application/octet-stream';
    res.writeHead(200, { ...ISOLATION, 'content-type': type, 'cache-control': 'no-cache' });
    createReadStream(file).pipe(res);
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(undefined));
  });
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    clearLog: () => void (log.length = 0),
    /** Points /dicom-web/ at another Orthanc (a new agent: no socket of the old one is reused). */
    setTarget: (/** @type {string} */ url) => {
      targetUrl = new URL(url);
      agent.destroy();
      agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    },
    stop: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

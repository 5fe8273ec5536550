// The dicom-microscopy-viewer page (demo/dmv.html), served two ways:
//  - startDmvPage(): a Vite dev server (`npm run demo:dmv`, the end-to-end test);
//  - buildDmvPage() + startBuiltDmvPage(): the production build (the page as one bundle, its
//    service worker as dmv-sw.js) on a plain static server, as an app ships it (the bench).
// Both serve the viewer's own dynamic-import build at /dicom-microscopy-viewer/ and at /static/js/
// (where its bundle loads its data-loader worker and WASM codecs from: without it the worker 404s
// and the canvas stays blank), and forward /dicom-web to a DICOMweb root with the page's Host kept
// (or, behind a proxy, `Forwarded: proto=https;host=…`), so the absolute URLs Orthanc writes
// into metadata point back at the page's origin. Every forwarded request is logged.
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT } from './deps.mjs';

const DMV_DIR = join(REPO_ROOT, 'node_modules', 'dicom-microscopy-viewer', 'dist', 'dynamic-import');
const STATIC_PREFIXES = ['/dicom-microscopy-viewer/', '/static/js/'];
const BUILD_DIR = join(REPO_ROOT, '.artifacts', 'dmv-page');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** File bodies, raw and gzip-compressed once (a web server's static gzip). */
const fileCache = new Map();
function fileBody(file) {
  let entry = fileCache.get(file);
  if (entry === undefined) {
    const raw = readFileSync(file);
    entry = { raw, gzip: gzipSync(raw, { level: 6 }) };
    fileCache.set(file, entry);
  }
  return entry;
}

/**
 * Sends a file, gzip-compressed when the client accepts it. Not cached by the browser
 * (`no-cache` and no validator): a run that wants a cold HTTP cache clears it, and a run never
 * depends on what an earlier one left.
 */
function sendFile(req, res, file) {
  const { raw, gzip } = fileBody(file);
  const compressed = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = compressed ? gzip : raw;
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.byteLength,
    'cache-control': 'no-cache',
    ...(compressed ? { 'content-encoding': 'gzip', vary: 'accept-encoding' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The page's server-side part as a connect-style middleware: the viewer's files and the
 * /dicom-web forward. `log` receives one entry per forwarded request.
 * @param {{ target: string, log: import('./dmv-page.d.mts').DmvPageLogEntry[], publicOrigin: () => string | undefined }} options
 */
function dmvMiddleware({ target, log, publicOrigin }) {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const middleware = (req, res, next) => {
    const url = req.url ?? '/';
    const prefix = STATIC_PREFIXES.find((p) => url.startsWith(p));
    if (prefix !== undefined) {
      const name = url.slice(prefix.length).split('?')[0] ?? '';
      const file = join(DMV_DIR, name);
      if (name.includes('..') || name.includes('/') || !existsSync(file)) res.writeHead(404).end();
      else sendFile(req, res, file);
      return;
    }
    if (!url.startsWith('/dicom-web/')) {
      next();
      return;
    }
    const entry = {
      method: req.method ?? 'GET',
      path: url,
      accept: String(req.headers.accept ?? ''),
      status: 0,
      startedAt: performance.now(),
      endedAt: 0,
    };
    log.push(entry);
    const origin = publicOrigin();
    const headers = { ...req.headers };
    if (origin !== undefined)
      headers.forwarded = `proto=${new URL(origin).protocol.slice(0, -1)};host=${new URL(origin).host}`;
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, path: url, method: req.method, headers, agent },
      (answer) => {
        entry.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => (entry.endedAt = performance.now()));
      },
    );
    forward.on('error', (error) => {
      entry.status = 502;
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
    res.on('close', () => {
      if (!res.writableFinished) forward.destroy();
    });
    req.pipe(forward);
  };
  return { middleware, close: () => agent.destroy() };
}

/**
 * demo/dmv.html on a Vite dev server.
 * @param {{ target: string, port?: number }} options  target: Orthanc's REST root, e.g. http://127.0.0.1:8042
 */
export async function startDmvPage({ target, port = 0 }) {
  const { createServer } = await import('vite');
  const log = [];
  const dmv = dmvMiddleware({ target, log, publicOrigin: () => undefined });
  const server = await createServer({
    configFile: join(REPO_ROOT, 'demo', 'vite.config.ts'),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: port !== 0, hmr: false },
    plugins: [{ name: 'dmv-page', configureServer: (s) => void s.middlewares.use(dmv.middleware) }],
  });
  await server.listen();
  const address = /** @type {import('node:net').AddressInfo} */ (server.httpServer?.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    log,
    stop: async () => {
      await server.close();
      dmv.close();
    },
  };
}

/**
 * Builds demo/dmv.html for production into .artifacts/dmv-page/: the page's script as hashed
 * assets, its service worker as dmv-sw.js (the URL the built page registers).
 * @returns {Promise<string>} the output directory
 */
export async function buildDmvPage() {
  const { build } = await import('vite');
  const demo = join(REPO_ROOT, 'demo');
  await build({
    configFile: join(demo, 'vite.config.ts'),
    // 'error': the codecs' "fs/path externalized" notices are expected (they are never called in a browser).
    logLevel: 'error',
    build: {
      outDir: BUILD_DIR,
      emptyOutDir: true,
      sourcemap: false,
      reportCompressedSize: false,
      rolldownOptions: {
        input: { dmv: join(demo, 'dmv.html'), 'dmv-sw': join(demo, 'dmv-sw.ts') },
        output: {
          entryFileNames: (chunk) => (chunk.name === 'dmv-sw' ? '[name].js' : 'assets/[name]-[hash].js'),
        },
      },
    },
  });
  return BUILD_DIR;
}

/**
 * The built page (buildDmvPage) on a static server. `setPublicOrigin(url)` tells it the origin
 * the browser sees when a proxy (scripts/lib/link-proxy.mjs) stands in front of it.
 * @param {{ target: string, dir?: string }} options
 */
export async function startBuiltDmvPage({ target, dir = BUILD_DIR }) {
  const log = [];
  let publicOrigin;
  const dmv = dmvMiddleware({ target, log, publicOrigin: () => publicOrigin });
  const root = normalize(dir);
  const server = http.createServer((req, res) =>
    dmv.middleware(req, res, () => {
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const file = normalize(join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname));
      if (!file.startsWith(root + sep) || !existsSync(file)) res.writeHead(404).end();
      else sendFile(req, res, file);
    }),
  );
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    setPublicOrigin: (/** @type {string | undefined} */ origin) => (publicOrigin = origin),
    stop: () =>
      new Promise((resolve) => {
        dmv.close();
        server.closeAllConnections();
        server.close(() => resolve(undefined));
      }),
  };
}

/**
 * Adds ImageType DERIVED\PRIMARY\VOLUME\NONE to every instance of a series in Orthanc (the
 * dicomizer writes none without --dataset; dicom-microscopy-viewer needs it), keeping every UID.
 * @param {string} orthancUrl
 * @param {string} seriesInstanceUid
 */
export async function addVolumeImageType(orthancUrl, seriesInstanceUid) {
  const found = await (await fetch(`${orthancUrl}/tools/lookup`, { method: 'POST', body: seriesInstanceUid })).json();
  const series = found.find((f) => f.Type === 'Series');
  if (series === undefined) throw new Error(`Series ${seriesInstanceUid} is not in Orthanc`);
  const instances = await (await fetch(`${orthancUrl}/series/${series.ID}/instances`)).json();
  for (const instance of instances) {
    const modified = await fetch(`${orthancUrl}/instances/${instance.ID}/modify`, {
      method: 'POST',
      body: JSON.stringify({
        Replace: { ImageType: 'DERIVED\\PRIMARY\\VOLUME\\NONE' },
        Keep: ['SOPInstanceUID'],
        Force: true,
      }),
    });
    if (!modified.ok) throw new Error(`modify ${instance.ID}: HTTP ${modified.status}`);
    const bytes = new Uint8Array(await modified.arrayBuffer());
    await fetch(`${orthancUrl}/instances/${instance.ID}`, { method: 'DELETE' });
    const stored = await fetch(`${orthancUrl}/instances`, { method: 'POST', body: bytes });
    if (!stored.ok) throw new Error(`store ${instance.ID}: HTTP ${stored.status}`);
  }
  return instances.length;
}

// The dicom-microscopy-viewer page (demo/dmv.html) on a Vite dev server: the viewer's own
// dynamic-import build served at /dicom-microscopy-viewer/ and at /static/js/ (where its bundle
// loads its data-loader worker and WASM codecs from: without it the worker 404s and the canvas
// stays blank), and /dicom-web forwarded to a DICOMweb root with the page's Host kept, so the
// absolute URLs Orthanc writes into metadata point back at the page's origin. Every forwarded
// request is logged (method, path, Accept).
import { createReadStream, existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { REPO_ROOT } from './deps.mjs';

const DMV_DIR = join(REPO_ROOT, 'node_modules', 'dicom-microscopy-viewer', 'dist', 'dynamic-import');
const STATIC_PREFIXES = ['/dicom-microscopy-viewer/', '/static/js/'];

/**
 * A crude link emulation for the forwarded requests: each waits `latencyMs` before it is sent,
 * and every answer's bytes go out through one shared FIFO at `mbps` megabits per second.
 * @param {{ latencyMs: number, mbps: number } | undefined} link
 */
function linkPacer(link) {
  if (link === undefined) return undefined;
  let freeAt = 0; // ms (performance.now) when the shared link is next free
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  return {
    delay: () => sleep(link.latencyMs),
    /** Resolves when `bytes` have passed the shared link. */
    pass: (bytes) => {
      const start = Math.max(performance.now(), freeAt);
      freeAt = start + (bytes * 8) / (link.mbps * 1000);
      return sleep(freeAt - performance.now());
    },
  };
}

/**
 * @param {{ target: string, port?: number, link?: { latencyMs: number, mbps: number } }} options
 *   target: Orthanc's REST root, e.g. http://127.0.0.1:8042; link: emulated latency and bandwidth
 */
export async function startDmvPage({ target, port = 0, link }) {
  const pacer = linkPacer(link);
  const { createServer } = await import('vite');
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  /** @type {{ method: string, path: string, accept: string, status: number }[]} */
  const log = [];
  const middleware = (req, res, next) => {
    const url = req.url ?? '/';
    const prefix = STATIC_PREFIXES.find((p) => url.startsWith(p));
    if (prefix !== undefined) {
      const name = url.slice(prefix.length).split('?')[0] ?? '';
      const file = join(DMV_DIR, name);
      if (name.includes('..') || name.includes('/') || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' });
      createReadStream(file).pipe(res);
      return;
    }
    if (url.startsWith('/dicom-web/')) {
      const entry = { method: req.method ?? 'GET', path: url, accept: String(req.headers.accept ?? ''), status: 0 };
      log.push(entry);
      const onAnswer = (answer) => {
        entry.status = answer.statusCode ?? 0;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (pacer === undefined) {
          answer.pipe(res);
          return;
        }
        answer.on('data', (chunk) => {
          answer.pause();
          void pacer.pass(chunk.length).then(() => {
            res.write(chunk);
            answer.resume();
          });
        });
        answer.on('end', () => void pacer.pass(0).then(() => res.end()));
      };
      if (pacer !== undefined) {
        req.pause();
        void pacer.delay().then(() => {
          const delayed = http.request(
            {
              host: upstream.hostname,
              port: upstream.port,
              path: url,
              method: req.method,
              headers: { ...req.headers },
              agent,
            },
            onAnswer,
          );
          delayed.on('error', (error) => {
            entry.status = 502;
            if (!res.headersSent) res.writeHead(502);
            res.end(String(error));
          });
          req.pipe(delayed);
          req.resume();
        });
        return;
      }
      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: url,
          method: req.method,
          headers: { ...req.headers },
          agent,
        },
        onAnswer,
      );
      forward.on('error', (error) => {
        entry.status = 502;
        if (!res.headersSent) res.writeHead(502);
        res.end(String(error));
      });
      req.pipe(forward);
      return;
    }
    next();
  };
  const server = await createServer({
    configFile: join(REPO_ROOT, 'demo', 'vite.config.ts'),
    logLevel: 'warn',
    server: { host: '127.0.0.1', port, strictPort: port !== 0, hmr: false },
    plugins: [{ name: 'dmv-page', configureServer: (s) => void s.middlewares.use(middleware) }],
  });
  await server.listen();
  const address = /** @type {import('node:net').AddressInfo} */ (server.httpServer?.address());
  return {
    url: `http://127.0.0.1:${address.port}`,
    log,
    stop: async () => {
      await server.close();
      agent.destroy();
    },
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

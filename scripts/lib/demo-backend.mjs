// What the demo page needs from its server besides files, as one connect-style middleware used
// by both the Vite dev server and the static server (scripts/serve-static.mjs):
//   /dicom-web/...       forwarded, streaming, to the DICOMweb root (same origin for the page: no CORS)
//   /demo-config.json    { dicomWebPath, serverLabel, defaultSeries?, token? } from memory, never cached
// The bearer token (--token) reaches the page only through /demo-config.json, where the page's
// `headers` function picks it up; it is never logged or written anywhere.
import http from 'node:http';
import https from 'node:https';

export const DICOMWEB_PATH = '/dicom-web';
export const CONFIG_PATH = '/demo-config.json';

// Hop-by-hop headers (RFC 9110 7.6.1) are not forwarded; host is set for the target.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  // The target sees a plain server-to-server request: the page's origin would make some archives
  // apply CORS rules meant for cross-origin browsers.
  'origin',
  'referer',
]);

/**
 * @typedef {{ studyInstanceUid: string, seriesInstanceUid: string }} SeriesRef
 * @typedef {{
 *   target: string,
 *   serverLabel: string,
 *   defaultSeries?: SeriesRef,
 *   token?: string,
 * }} DemoBackendOptions
 */

/**
 * @param {DemoBackendOptions} options  target: the DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web
 * @returns {(req: http.IncomingMessage, res: http.ServerResponse, next?: () => void) => void}
 */
export function createDemoBackend({ target, serverLabel, defaultSeries, token }) {
  const root = new URL(target.replace(/\/+$/, ''));
  const client = root.protocol === 'https:' ? https : http;
  const agent = new client.Agent({ keepAlive: true, maxSockets: 32 });
  const config = JSON.stringify({
    dicomWebPath: DICOMWEB_PATH,
    serverLabel,
    ...(defaultSeries === undefined ? {} : { defaultSeries }),
    ...(token === undefined || token === '' ? {} : { token }),
  });

  return (req, res, next) => {
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    if (path === CONFIG_PATH) {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : config);
      return;
    }
    if (path !== DICOMWEB_PATH && !path.startsWith(`${DICOMWEB_PATH}/`)) {
      if (next) next();
      else res.writeHead(404).end();
      return;
    }
    forward(req, res, url.slice(DICOMWEB_PATH.length));
  };

  /**
   * @param {http.IncomingMessage} req
   * @param {http.ServerResponse} res
   * @param {string} rest  path and query after /dicom-web
   */
  function forward(req, res, rest) {
    /** @type {http.OutgoingHttpHeaders} */
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
    }
    headers.host = root.host;
    const upstream = client.request(
      {
        protocol: root.protocol,
        hostname: root.hostname,
        port: root.port,
        method: req.method,
        path: `${root.pathname === '/' ? '' : root.pathname}${rest}`,
        headers,
        agent,
      },
      (answer) => {
        /** @type {http.OutgoingHttpHeaders} */
        const out = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
        }
        if (answer.statusMessage) res.statusMessage = answer.statusMessage;
        res.writeHead(answer.statusCode ?? 502, out);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      },
    );
    upstream.on('error', (error) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`The DICOMweb server at ${root.origin} did not answer: ${error.message}`);
    });
    // The page went away (an aborted fetch): stop the upstream request too.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}

// A small static server for the built demo (dist-demo/): files with a strict
// Content-Security-Policy, plus the demo backend (/dicom-web forwarded, /demo-config.json).
// Used by `npm run demo -- --static`; importable by tests.
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

/**
 * The policy the built demo must work under (issue 7): no unsafe-eval, no unsafe-inline, no
 * blob:/data: worker; 'wasm-unsafe-eval' only, for the WASM codecs (docs/decoding.md).
 */
export const STRICT_CSP = [
  "default-src 'self'",
  // WebAssembly.instantiate of the codecs' .wasm files (decoded tiles): the one word WASM needs.
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "img-src 'self' blob: data:",
  "style-src 'self'",
  "connect-src 'self'",
].join('; ');

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * @param {{
 *   dir: string,
 *   backend: (req: http.IncomingMessage, res: http.ServerResponse, next: () => void) => void,
 *   host?: string,
 *   port?: number,
 *   csp?: string,
 * }} options
 * @returns {Promise<{ url: string, port: number, close(): Promise<void> }>}
 */
export async function serveStatic({ dir, backend, host = '127.0.0.1', port = 0, csp = STRICT_CSP }) {
  const root = resolve(dir);
  const server = http.createServer((req, res) => {
    backend(req, res, () => serveFile(root, csp, req, res));
  });
  await new Promise((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(port, host, () => resolveListen(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${address.port}/`,
    port: address.port,
    close: () =>
      new Promise((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose(undefined));
      }),
  };
}

/**
 * @param {string} root
 * @param {string} csp
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 */
function serveFile(root, csp, req, res) {
  const security = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...security, allow: 'GET, HEAD' }).end();
    return;
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    res.writeHead(400, security).end();
    return;
  }
  if (pathname.endsWith('/')) pathname += 'index.html';
  const file = normalize(join(root, pathname));
  // No way out of the served directory.
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403, security).end();
    return;
  }
  let size;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new Error('not a file');
    size = stat.size;
  } catch {
    res.writeHead(404, { ...security, 'content-type': 'text/plain; charset=utf-8' }).end('Not found');
    return;
  }
  const type =
    MIME_TYPES[/** @type {keyof typeof MIME_TYPES} */ (extname(file).toLowerCase())] ?? 'application/octet-stream';
  res.writeHead(200, {
    ...security,
    'content-type': type,
    'content-length': size,
    // Hashed asset names change with their content; index.html is always revalidated.
    'cache-control': pathname.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
}

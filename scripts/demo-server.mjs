// `npm run demo [-- options]`: the OpenSeadragon demo page (demo/) on a local Orthanc holding the
// sample slides, or on your own DICOMweb server. The page reaches DICOMweb at its own origin
// (/dicom-web, forwarded here), so no CORS is involved. Ctrl-C stops everything it started.
// Only node:* and dependency-free local modules are imported up front, so --help works anywhere.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createDemoBackend } from './lib/demo-backend.mjs';
import { REPO_ROOT } from './lib/deps.mjs';
import { STRICT_CSP, serveStatic } from './serve-static.mjs';

const HELP = `Usage: npm run demo -- [options]

Serves the dicomweb-frame-cache demo viewer (demo/) and prints its URL. By default it starts
Orthanc on loopback with the sample slides (.data/slides, made once) and forwards /dicom-web to it.

Options:
  --port <n>          port of the demo page (default 5173, the next free one if taken; 0 = any)
  --host <address>    interface to listen on (default 127.0.0.1)
  --server <url>      DICOMweb root of your own archive, e.g. https://pacs.example/dicom-web:
                      no Orthanc is started and /dicom-web is forwarded there
  --token <bearer>    bearer token for --server (or the DICOMWEB_TOKEN environment variable): the page
                      adds "Authorization: Bearer ..." in FrameCache's headers function. It is held in
                      memory only: never logged, never written to disk or IndexedDB
  --no-compression    start Orthanc with HttpCompressionEnabled false (no gzip of DICOM answers)
  --static            serve the built demo (dist-demo/, made by npm run build:demo when missing) with a
                      strict Content-Security-Policy instead of the Vite dev server
  --dist <dir>        with --static: the directory to serve (default dist-demo)
  -h, --help          show this help

Examples:
  npm run demo
  npm run demo -- --port 8080 --no-compression
  DICOMWEB_TOKEN=... npm run demo -- --server https://pacs.example/dicom-web
  npm run build:demo && npm run demo -- --static
`;

/** @param {string} message */
function fail(message) {
  console.error(`demo: ${message}\nRun with --help for the options.`);
  process.exit(2);
}

/** @returns {{ port: number | undefined, host: string, server: string | undefined, token: string | undefined, compression: boolean, static: boolean, dist: string }} */
function readOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        server: { type: 'string' },
        token: { type: 'string' },
        'no-compression': { type: 'boolean', default: false },
        static: { type: 'boolean', default: false },
        dist: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  let port;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      fail(`--port must be an integer 0..65535, got ${values.port}`);
  }
  let server = values.server;
  if (server !== undefined) {
    let parsed;
    try {
      parsed = new URL(server);
    } catch {
      fail(`--server must be an absolute http(s) URL, got ${server}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      fail(`--server must be http or https, got ${server}`);
    if (parsed.search !== '' || parsed.hash !== '') fail('--server must not have a query or fragment');
    server = parsed.href.replace(/\/+$/, '');
  }
  const token = values.token ?? process.env['DICOMWEB_TOKEN'];
  if (token !== undefined && token !== '' && server === undefined)
    fail('--token is for --server (the local Orthanc needs none)');
  if (values.dist !== undefined && !values.static) fail('--dist goes with --static');
  return {
    port,
    host: values.host ?? '127.0.0.1',
    server,
    token: token === '' ? undefined : token,
    compression: !values['no-compression'],
    static: values.static ?? false,
    dist: resolve(values.dist ?? join(REPO_ROOT, 'dist-demo')),
  };
}

const options = readOptions();
const isLoopback = ['127.0.0.1', 'localhost', '::1'].includes(options.host);
if (options.token !== undefined && !isLoopback) {
  console.warn(
    `demo: warning: --host ${options.host} with a token: anyone who can reach this page can read the token.`,
  );
}

/** @type {Array<() => Promise<void>>} */
const cleanups = [];
let stopping = false;
async function stopAll(code = 0) {
  if (stopping) return;
  stopping = true;
  for (const cleanup of cleanups.toReversed()) {
    try {
      await cleanup();
    } catch {
      // keep stopping the rest
    }
  }
  process.exit(code);
}
for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
  process.on(signal, () => {
    if (stopping) process.exit(130); // a second Ctrl-C: do not wait
    console.log('\nStopping…');
    void stopAll(0);
  });
}

try {
  await main();
} catch (error) {
  console.error(`demo: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await stopAll(1);
}

async function main() {
  /** @type {string} */
  let target;
  /** @type {string} */
  let serverLabel;
  /** @type {{ studyInstanceUid: string, seriesInstanceUid: string } | undefined} */
  let defaultSeries;
  if (options.server === undefined) {
    const { ensureSampleSlides } = await import('./lib/sample-slides.mjs');
    const { startOrthanc, uploadDicomFiles } = await import('./lib/orthanc.mjs');
    const manifest = ensureSampleSlides();
    const orthanc = await startOrthanc({ compression: options.compression });
    cleanups.push(() => orthanc.stop());
    const slides = Object.values(manifest.slides);
    const uploaded = await uploadDicomFiles(
      orthanc,
      slides.flatMap((slide) => slide.files),
    );
    target = orthanc.dicomWebUrl;
    serverLabel = `Orthanc on ${new URL(orthanc.url).host}${options.compression ? '' : ' (no compression)'}`;
    const { studyInstanceUid, seriesInstanceUid } = manifest.slides.jpeg;
    defaultSeries = { studyInstanceUid, seriesInstanceUid };
    console.log(
      `Orthanc ${orthanc.url} (pid ${orthanc.pid}): ${uploaded.length} instances of ${slides.length} sample slides (${slides.map((s) => s.name).join(', ')})`,
    );
  } else {
    target = options.server;
    serverLabel = new URL(options.server).host;
  }
  const backend = createDemoBackend({ target, serverLabel, defaultSeries, token: options.token });

  let url;
  if (options.static) {
    if (!existsSync(join(options.dist, 'index.html'))) {
      if (options.dist !== resolve(REPO_ROOT, 'dist-demo'))
        throw new Error(`${options.dist}/index.html does not exist`);
      console.log('dist-demo/ is missing: building it (npm run build:demo)…');
      const { build } = await import('vite');
      await build({ configFile: join(REPO_ROOT, 'demo', 'vite.config.ts'), logLevel: 'warn' });
    }
    const server = await listenStatic(options.dist, backend);
    cleanups.push(() => server.close());
    url = server.url;
    console.log(`Static build ${options.dist} with Content-Security-Policy: ${STRICT_CSP}`);
  } else {
    const { createServer } = await import('vite');
    const vite = await createServer({
      configFile: join(REPO_ROOT, 'demo', 'vite.config.ts'),
      logLevel: 'warn',
      server: { host: options.host, port: options.port ?? 5173, strictPort: options.port !== undefined },
      plugins: [
        {
          name: 'dicomweb-frame-cache-demo-backend',
          configureServer(server) {
            // Before Vite's own middlewares: /dicom-web must never reach the SPA fallback.
            server.middlewares.use(backend);
          },
        },
      ],
    });
    cleanups.push(() => vite.close());
    await vite.listen();
    url = vite.resolvedUrls?.local[0] ?? `http://${options.host}:${vite.config.server.port}/`;
  }
  console.log(
    `DICOMweb: /dicom-web -> ${target}${options.token === undefined ? '' : ' (bearer token added by the page)'}`,
  );
  console.log(`Demo: ${url}`);
  console.log('Press Ctrl-C to stop.');
}

/**
 * The static server on --port, or on 5173 and the next free ports when none was given (as Vite).
 * @param {string} dir
 * @param {ReturnType<typeof createDemoBackend>} backend
 */
async function listenStatic(dir, backend) {
  const first = options.port ?? 5173;
  const last = options.port === undefined ? first + 20 : first;
  for (let port = first; ; port++) {
    try {
      return await serveStatic({ dir, backend, host: options.host, port, csp: STRICT_CSP });
    } catch (error) {
      const code = /** @type {NodeJS.ErrnoException} */ (error).code;
      if (code !== 'EADDRINUSE' || port >= last) throw error;
    }
  }
}

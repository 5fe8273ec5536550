/**
 * `serveFrames()`: the app's service worker script calls it once, at its top level. It claims
 * open pages at once, answers WADO-RS frame GETs under `roots` from per-auth-scope frame caches
 * and passes everything else through (docs/service-worker.md).
 *
 * @example
 * // sw.js, registered by the page with { type: 'module' }
 * import { serveFrames } from 'dicomweb-frame-cache/service-worker';
 * serveFrames({ roots: ['/dicom-web'] });
 */
import { resolveOptions } from '../core/options.js';
import type { FrameCacheOptions } from '../core/types.js';
import { FrameCacheError, invalidOption } from '../shared/errors.js';
import { FrameServer } from './frame-server.js';
import { resolveRoots, routePastWorker } from './frame-url.js';
import {
  MESSAGE_TYPE,
  isServiceWorkerRequest,
  type ServiceWorkerReply,
  type ServiceWorkerRequest,
} from './messages.js';
import { serviceWorkerScope, type InstallEventLike } from './sw-globals.js';

export interface ServeFramesOptions extends FrameCacheOptions {
  /**
   * DICOMweb roots whose frame requests are answered: absolute URLs (another origin only when
   * listed here) or same-origin paths such as '/dicom-web'. Non-empty.
   */
  roots: string[];
}

/** Checks the options as FrameCache does ('invalid-option'), plus `roots`. */
export function checkServeFramesOptions(
  options: unknown,
  base: string,
): { roots: string[]; cacheOptions: FrameCacheOptions } {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', 'an object', options);
  const { roots, ...cacheOptions } = options as ServeFramesOptions;
  if (!Array.isArray(roots) || roots.length === 0 || !roots.every((r) => typeof r === 'string' && r !== '')) {
    throw invalidOption('roots', 'a non-empty array of non-empty strings', roots);
  }
  let resolved: string[];
  try {
    resolved = resolveRoots(roots, base);
  } catch (error) {
    throw new FrameCacheError(
      'invalid-option',
      `Expected \`roots\` to be URLs or paths, got ${JSON.stringify(roots)}`,
      { cause: error },
    );
  }
  if (!resolved.every((r) => /^https?:\/\//.test(r))) throw invalidOption('roots', 'http(s) URLs or paths', roots);
  resolveOptions(cacheOptions);
  return { roots: resolved, cacheOptions };
}

async function reply(
  server: FrameServer,
  request: ServiceWorkerRequest,
  clientId: string | undefined,
): Promise<ServiceWorkerReply> {
  try {
    switch (request.op) {
      case 'stats':
        return { ok: true, value: await server.stats() };
      case 'wake':
        return { ok: true };
      case 'reset-stats':
        await server.resetStats();
        return { ok: true };
      case 'clear':
        await server.clear({ spill: request.spill === true });
        return { ok: true };
      case 'set-namespace':
        if (clientId === undefined || typeof request.namespace !== 'string')
          return { ok: false, error: 'set-namespace needs a page and a string' };
        server.setNamespace(clientId, request.namespace);
        return { ok: true };
      default:
        return { ok: false, error: `Unknown operation ${JSON.stringify((request as { op?: unknown }).op)}` };
    }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Where the browser has the static routing API, every request the worker has no use for goes to
 * the network without it: the page's navigation and scripts, a viewer's bundle, and under the
 * roots QIDO, bulk data (ICC profiles), rendered and thumbnails never wait for a stopped worker
 * to start, nor pass through its fetch handler (docs/service-worker.md, "What it leaves alone").
 * Without the API (or where a condition is not supported: the call rejects), the fetch handler
 * leaves them alone as before.
 */
async function routeOthersAroundWorker(event: InstallEventLike, roots: readonly string[]): Promise<void> {
  if (typeof event.addRoutes !== 'function') return;
  try {
    await event.addRoutes(routePastWorker(roots));
  } catch {
    // Not supported here: the fetch handler sees every request.
  }
}

/** Installs the fetch, install, activate and message handlers in the calling service worker. */
export function serveFrames(options: ServeFramesOptions): FrameServer {
  const sw = serviceWorkerScope();
  const { roots, cacheOptions } = checkServeFramesOptions(options, sw.location.href);
  const server = new FrameServer({ roots, cacheOptions, fetch: (input, init) => globalThis.fetch(input, init) });
  sw.addEventListener('install', (event) =>
    event.waitUntil(Promise.all([sw.skipWaiting(), routeOthersAroundWorker(event, roots)])),
  );
  sw.addEventListener('activate', (event) => event.waitUntil(sw.clients.claim()));
  sw.addEventListener('fetch', (event) => {
    let answer: Promise<Response> | undefined;
    try {
      answer = server.handle(event.request, event.clientId, (p) => event.waitUntil(p));
    } catch {
      answer = undefined; // not ours after all: the browser goes to the network as usual
    }
    if (answer !== undefined) event.respondWith(answer);
  });
  sw.addEventListener('message', (event) => {
    if (!isServiceWorkerRequest(event.data)) return;
    const port = event.ports[0];
    const done = reply(server, event.data, event.source?.id ?? undefined).then((message) => port?.postMessage(message));
    event.waitUntil(done);
  });
  return server;
}

export { MESSAGE_TYPE };

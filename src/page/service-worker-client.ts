/**
 * The page side of the Service Worker (`serveFrames`, docs/service-worker.md): registers the
 * app's service worker script, waits until it controls this page (it claims open pages at
 * once, so no reload is needed), and reads its stats.
 *
 * @example
 * const sw = await registerFrameServiceWorker('/sw.js');
 * console.log((await sw.stats()).served);
 */
import { FrameCacheError } from '../shared/errors.js';
import { MESSAGE_TYPE, type ServiceWorkerReply, type ServiceWorkerRequest } from '../service-worker/messages.js';
import type { ServiceWorkerStats } from '../service-worker/sw-stats.js';

type Op = ServiceWorkerRequest extends infer R ? (R extends { op: infer O } ? O : never) : never;

export interface RegisterServiceWorkerOptions {
  /** Passed to `navigator.serviceWorker.register`. @default the script's directory */
  scope?: string;
  /** @default 'module' (the entry is an ES module) */
  type?: 'module' | 'classic';
  /** How long to wait for the worker to control this page, in ms. @default 10000 */
  timeoutMs?: number;
}

export interface FrameServiceWorker {
  readonly registration: ServiceWorkerRegistration;
  /** The worker's counters and its caches' CacheStats summed over auth scopes. */
  stats(): Promise<ServiceWorkerStats>;
  resetStats(): Promise<void>;
  /** Empties every scope's memory (and its IndexedDB tier with `spill: true`). */
  clear(opts?: { spill?: boolean }): Promise<void>;
  /** Keeps this page's frames under `namespace` (one per signed-in user; hashes of credentials also apply). */
  setNamespace(namespace: string): Promise<void>;
}

/** Resolves once the worker of `scriptUrl` controls this page (a newer script replaces an older one). */
function waitForControl(scriptUrl: string, timeoutMs: number): Promise<ServiceWorker> {
  const container = navigator.serviceWorker;
  const controls = (): boolean => container.controller !== null && container.controller.scriptURL === scriptUrl;
  if (controls()) return Promise.resolve(container.controller!);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      container.removeEventListener('controllerchange', onChange);
      reject(new FrameCacheError('timeout', `The service worker did not control this page within ${timeoutMs} ms`));
    }, timeoutMs);
    const onChange = (): void => {
      if (!controls()) return;
      clearTimeout(timer);
      container.removeEventListener('controllerchange', onChange);
      resolve(container.controller!);
    };
    container.addEventListener('controllerchange', onChange);
  });
}

async function call(registration: ServiceWorkerRegistration, op: Op, extra: object = {}): Promise<unknown> {
  const target = navigator.serviceWorker.controller ?? registration.active;
  if (target === null) throw new FrameCacheError('closed', 'No active service worker');
  const channel = new MessageChannel();
  const answer = new Promise<ServiceWorkerReply>((resolve) => {
    channel.port1.addEventListener('message', (event: MessageEvent<ServiceWorkerReply>) => resolve(event.data), {
      once: true,
    });
    channel.port1.start();
  });
  target.postMessage({ type: MESSAGE_TYPE, op, ...extra }, [channel.port2]);
  const reply = await answer;
  channel.port1.close();
  if (!reply.ok) throw new FrameCacheError('worker-crashed', `Service worker: ${reply.error}`);
  return reply.value;
}

/** Registers `scriptUrl` (an app script that calls `serveFrames`) and resolves once it controls this page. */
export async function registerFrameServiceWorker(
  scriptUrl: string | URL,
  opts: RegisterServiceWorkerOptions = {},
): Promise<FrameServiceWorker> {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) {
    throw new FrameCacheError('invalid-option', 'Service workers are not available here (a secure context is needed)');
  }
  const registration = await navigator.serviceWorker.register(scriptUrl, {
    type: opts.type ?? 'module',
    ...(opts.scope === undefined ? {} : { scope: opts.scope }),
  });
  const controller = await waitForControl(new URL(scriptUrl, location.href).href, opts.timeoutMs ?? 10_000);
  // A stopped worker (Chromium stops an idle one after ~30 s) starts on its next event. Start it
  // now, beside the page's own start, rather than on the viewer's first metadata or frame
  // request (docs/service-worker.md, "When the browser stops the worker"). No answer is awaited.
  controller.postMessage({ type: MESSAGE_TYPE, op: 'wake' } satisfies ServiceWorkerRequest, []);
  return {
    registration,
    stats: async () => (await call(registration, 'stats')) as ServiceWorkerStats,
    resetStats: async () => void (await call(registration, 'reset-stats')),
    clear: async (o = {}) => void (await call(registration, 'clear', { spill: o.spill === true })),
    setNamespace: async (namespace) => void (await call(registration, 'set-namespace', { namespace })),
  };
}

// A page inside the service worker's scope (loaded in an iframe by the Chromium tests): it
// registers the worker with the page helper and makes requests as a per-tile viewer does.
import { registerFrameServiceWorker, type FrameServiceWorker } from '../../../src/page/service-worker-client.js';

let sw: FrameServiceWorker | undefined;

export interface FetchedAnswer {
  status: number;
  contentType: string;
  body: Uint8Array;
}

const api = {
  async register(roots: string[], options: object = {}): Promise<void> {
    const url = new URL('./sw.ts', import.meta.url);
    url.searchParams.set('roots', JSON.stringify(roots));
    url.searchParams.set('options', JSON.stringify(options));
    sw = await registerFrameServiceWorker(url);
  },
  /** Waits until the worker of `url` (options in its query) is the one in control. */
  controllerUrl: () => navigator.serviceWorker.controller?.scriptURL,
  /** status -1: the request or its body failed (a network error, as the page sees it). */
  async fetch(url: string, init: RequestInit = {}): Promise<FetchedAnswer> {
    try {
      const response = await fetch(url, init);
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: new Uint8Array(await response.arrayBuffer()),
      };
    } catch {
      return { status: -1, contentType: '', body: new Uint8Array() };
    }
  },
  /**
   * How the browser routed the latest request of `url` (Resource Timing's
   * workerMatchedSourceType: 'network' when a static route sent it past the worker).
   */
  routedTo(url: string): string | undefined {
    const entries = performance.getEntriesByName(new URL(url, location.href).href);
    return (entries.at(-1) as (PerformanceEntry & { workerMatchedSourceType?: string }) | undefined)
      ?.workerMatchedSourceType;
  },
  stats: () => sw!.stats(),
  resetStats: () => sw!.resetStats(),
  clear: () => sw!.clear(),
  setNamespace: (ns: string) => sw!.setNamespace(ns),
  async unregister(): Promise<void> {
    await sw?.registration.unregister();
  },
};

export type SwClient = typeof api;
(window as unknown as { swClient: SwClient }).swClient = api;
window.dispatchEvent(new Event('sw-client-ready'));

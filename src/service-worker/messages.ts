/** The page <-> Service Worker messages of the page helper (src/page/service-worker-client.ts). */

export const MESSAGE_TYPE = 'dicomweb-frame-cache/service-worker';

export type ServiceWorkerRequest =
  | { type: typeof MESSAGE_TYPE; op: 'stats' }
  /** Starts a stopped worker (the page helper sends it once the worker controls the page). */
  | { type: typeof MESSAGE_TYPE; op: 'wake' }
  | { type: typeof MESSAGE_TYPE; op: 'reset-stats' }
  | { type: typeof MESSAGE_TYPE; op: 'clear'; spill?: boolean }
  /** Frames of requests from this page are kept under this namespace (one per signed-in user). */
  | { type: typeof MESSAGE_TYPE; op: 'set-namespace'; namespace: string };

export type ServiceWorkerReply = { ok: true; value?: unknown } | { ok: false; error: string };

export function isServiceWorkerRequest(data: unknown): data is ServiceWorkerRequest {
  return typeof data === 'object' && data !== null && (data as { type?: unknown }).type === MESSAGE_TYPE;
}

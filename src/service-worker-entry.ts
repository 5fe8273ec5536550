/**
 * `dicomweb-frame-cache/service-worker`: for the app's own service worker script.
 * Importing it touches no global; `serveFrames()` installs the handlers.
 */
export { serveFrames, checkServeFramesOptions } from './service-worker/serve-frames.js';
export type { ServeFramesOptions } from './service-worker/serve-frames.js';
export type { FrameServer } from './service-worker/frame-server.js';
export type { PassReason, ServiceWorkerCounters, ServiceWorkerStats } from './service-worker/sw-stats.js';
export { FrameCacheError, isFrameCacheError } from './shared/errors.js';
export type { FrameCacheOptions, CacheStats } from './core/types.js';

/** `dicomweb-frame-cache`: the public barrel. Importing it touches no browser global. */
export { FrameCacheError, isFrameCacheError } from './shared/errors.js';
export type { FrameCacheErrorCode, FrameCacheErrorOptions } from './shared/errors.js';
export { openSlide } from './slide/slide.js';
export type { Instance, Level, OpenSlideOptions, Slide, WsiImageFlavor } from './slide/slide.js';
export type { PixelFormat } from './decode/pixel-format.js';
export { readPart10Frames } from './part10/part10.js';
export { parseMultipartRelated } from './transport/multipart.js';
export type { MultipartPart } from './transport/multipart.js';
export type { FrameCacheApi } from './core/cache-api.js';
export type {
  CacheStats,
  DecodedTierStats,
  FrameCacheOptions,
  FrameRequestOptions,
  HeadersProvider,
  Hint,
  HttpCacheMode,
  InstanceGroup,
  InstanceRef,
  PrefetchOptions,
  PreloadOptions,
  Priority,
  Region,
  SpillOptions,
  TiledLevel,
} from './core/types.js';
export type { LinkEstimate } from './core/link-learner.js';
export type { LogFields, Logger } from './core/ports.js';
export { FrameCache } from './page/frame-cache.js';
export type { FrameCacheFacadeOptions } from './page/frame-cache.js';
export type { WorkerLike } from './page/worker-connection.js';
export { registerFrameServiceWorker } from './page/service-worker-client.js';
export type { FrameServiceWorker, RegisterServiceWorkerOptions } from './page/service-worker-client.js';
export type { ServiceWorkerStats, ServiceWorkerCounters, PassReason } from './service-worker/sw-stats.js';

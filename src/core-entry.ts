/** `dicomweb-frame-cache/core`: the engine without a worker, for Node, workers and tests. */
export { FrameCacheEngine } from './platform/frame-cache-engine.js';
export { FrameCacheError, isFrameCacheError } from './shared/errors.js';
export type { FrameCacheErrorCode, FrameCacheErrorOptions } from './shared/errors.js';
export { DicomwebSource } from './transport/dicomweb-source.js';
export type { DicomwebSourceSettings } from './transport/dicomweb-source.js';
export type { FrameCacheApi } from './core/cache-api.js';
export type { FrameCacheEngineOptions, EnginePorts } from './core/engine.js';
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
export type {
  ByteStream,
  ByteStreamReader,
  Clock,
  FetchLike,
  FrameCallback,
  FrameSource,
  HeadersLike,
  LogFields,
  Logger,
  RequestInitLike,
  ResponseLike,
  SourceRequestOptions,
  SpillStore,
  Timers,
} from './core/ports.js';

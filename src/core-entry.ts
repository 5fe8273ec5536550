/** `dicomweb-frame-cache/core`: the engine without a worker, for Node, workers and tests. */
export { FrameCacheEngine } from './platform/frame-cache-engine.js';
export { FrameCacheError, isFrameCacheError } from './shared/errors.js';
export type { FrameCacheErrorCode } from './shared/errors.js';
export { rangesOf, missWindow, clipToLoading } from './core/frame-ranges.js';
export type { FrameRange } from './core/frame-ranges.js';
export { DicomwebSource } from './transport/dicomweb-source.js';
export type { FrameCacheEngineOptions, EnginePorts } from './core/engine.js';
export type {
  CacheStats,
  FrameCacheOptions,
  FrameRequestOptions,
  Hint,
  InstanceRef,
  PreloadOptions,
  Priority,
  SpillOptions,
} from './core/types.js';
export type {
  ByteStream,
  Clock,
  FetchLike,
  FrameSource,
  Logger,
  ResponseLike,
  SourceRequestOptions,
  SpillStore,
  Timers,
} from './core/ports.js';

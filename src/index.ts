/** `dicomweb-frame-cache`: the public barrel. Importing it touches no browser global. */
export { FrameCacheError, isFrameCacheError } from './errors.js';
export type { FrameCacheErrorCode } from './errors.js';
export { openSlide } from './dicomweb/slide.js';
export type { Instance, Level, OpenSlideOptions, Slide } from './dicomweb/slide.js';
export { readPart10Frames } from './dicomweb/part10.js';
export { parseMultipartRelated } from './dicomweb/multipart.js';
export type { MultipartPart } from './dicomweb/multipart.js';
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
export type { Logger } from './core/ports.js';
export { FrameCache } from './frame-cache.js';
export type { FrameCacheFacadeOptions } from './frame-cache.js';

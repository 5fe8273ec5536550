/** `dicomweb-frame-cache`: the public barrel. Importing it touches no browser global. */
export { FrameCacheError, isFrameCacheError } from './shared/errors.js';
export type { FrameCacheErrorCode } from './shared/errors.js';
export { openSlide } from './slide/slide.js';
export type { Instance, Level, OpenSlideOptions, Slide } from './slide/slide.js';
export type { PixelFormat } from './decode/pixel-format.js';
export { readPart10Frames } from './part10/part10.js';
export { parseMultipartRelated } from './transport/multipart.js';
export type { MultipartPart } from './transport/multipart.js';
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
export { FrameCache } from './page/frame-cache.js';
export type { FrameCacheFacadeOptions } from './page/frame-cache.js';

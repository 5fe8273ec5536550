/**
 * FrameCacheEngine: the engine wired to the real platform. Ports left unset get their
 * defaults (DICOMweb over `globalThis.fetch`, performance.now, setTimeout), so
 * `new FrameCacheEngine({})` works in Node 20 and in a worker as is.
 */
import { EngineCore, type FrameCacheEngineOptions } from '../core/engine.js';
import { platformDefaults } from './platform-defaults.js';

/**
 * The frame cache without a worker: the same engine the worker runs.
 *
 * @example
 * const cache = new FrameCacheEngine({ maxBytes: 512 * 1024 * 1024 });
 * const tile = await cache.getFrame({ url: instanceUrl, frameCount: 768 }, 1);
 */
export class FrameCacheEngine extends EngineCore {
  constructor(options: FrameCacheEngineOptions = {}) {
    super(options, platformDefaults);
  }
}

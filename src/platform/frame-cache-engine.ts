/**
 * FrameCacheEngine: the engine wired to the real platform. Ports left unset get their
 * defaults (DICOMweb over `globalThis.fetch`, performance.now, setTimeout), so
 * `new FrameCacheEngine({})` works in Node 20 and in a worker as is.
 */
import { EngineCore, type FrameCacheEngineOptions, type PlatformDefaults } from '../core/engine.js';
import { platformDefaults } from './platform-defaults.js';

/**
 * The frame cache without a worker: the same engine the worker runs.
 *
 * @example
 * const cache = new FrameCacheEngine({ maxBytes: 512 * 1024 * 1024 });
 * const tile = await cache.getFrame({ url: instanceUrl, frameCount: 768 }, 1);
 */
export class FrameCacheEngine extends EngineCore {
  /** `platform`: what a hosting worker sets differently from the platform defaults (its batch window). */
  constructor(options: FrameCacheEngineOptions = {}, platform?: Partial<PlatformDefaults>) {
    super(options, platform === undefined ? platformDefaults : { ...platformDefaults, ...platform });
  }
}

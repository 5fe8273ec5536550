/**
 * The engine's ports (docs/design.md, "Layers"): each one the caller gave, else the platform's
 * default (the worker, the Service Worker and Node wire them: platform/platform-defaults.ts),
 * else a clear invalid-option error. The bare core of the tests gives every one.
 */
import { FrameCacheError } from '../shared/errors.js';
import type { FrameCacheEngineOptions, PlatformDefaults } from './engine-types.js';
import type { ResolvedOptions } from './options.js';
import type { Clock, FrameSource, SpillStore, Timers } from './ports.js';
import { TraceLogger } from './trace-logger.js';
import { checkFunction, checkMethods } from './validate.js';

export interface EnginePortsResolved {
  clock: Clock;
  timers: Timers;
  uid: () => string;
  /** The new engine's identity in logs (a first uid). */
  cacheInstanceUid: string;
  logger: TraceLogger;
  source: FrameSource;
  spill: SpillStore | undefined;
}

export function resolvePorts(
  raw: FrameCacheEngineOptions,
  options: ResolvedOptions,
  defaults: PlatformDefaults | undefined,
): EnginePortsResolved {
  const missing = (port: string): FrameCacheError =>
    new FrameCacheError('invalid-option', `Expected \`${port}\` to be given: no platform default is wired here`);
  const clock: Clock =
    raw.clock ??
    defaults?.clock() ??
    (() => {
      throw missing('clock');
    })();
  const timers: Timers =
    raw.timers ??
    defaults?.timers() ??
    (() => {
      throw missing('timers');
    })();
  const uid: () => string =
    raw.uid ??
    defaults?.uid ??
    (() => {
      throw missing('uid');
    });
  checkPorts(raw);
  const cacheInstanceUid = uid();
  const logger = new TraceLogger(options.logger, cacheInstanceUid, uid());
  const source: FrameSource =
    raw.source ??
    defaults?.createSource(options, {
      fetch: raw.fetch,
      clock,
      timers,
      logger,
    }) ??
    (() => {
      throw missing('source');
    })();
  const spillOption = options.spill;
  const spill =
    spillOption === false
      ? undefined
      : (raw.spillStore ?? defaults?.createSpillStore?.(spillOption, { clock, logger }));
  return { clock, timers, uid, cacheInstanceUid, logger, source, spill };
}

/** The ports the caller gave have the shape the engine calls: a clear error now, not a TypeError later. */
function checkPorts(raw: FrameCacheEngineOptions): void {
  checkMethods('clock', raw.clock, ['now'], 'an object with now()');
  checkFunction('uid', raw.uid);
  checkFunction('fetch', raw.fetch);
  checkMethods('timers', raw.timers, ['setTimeout', 'clearTimeout'], 'an object with setTimeout() and clearTimeout()');
  checkMethods(
    'source',
    raw.source,
    ['fetchFrames', 'fetchInstance'],
    'an object with fetchFrames() and fetchInstance()',
  );
  checkMethods(
    'spillStore',
    raw.spillStore,
    ['getMany', 'putMany', 'flush', 'clear', 'stats'],
    'an object with getMany(), putMany(), flush(), clear() and stats()',
  );
}

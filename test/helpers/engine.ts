/** Builds the pure engine over fakes: a recording source, a fake clock and a recording logger. */
import { EngineCore, type FrameCacheEngineOptions } from '../../src/core/engine.js';
import { FakeClock, fakeUid, recordingLogger } from './fake-platform.js';
import { FakeSource, type FakeSourceOptions } from './fake-source.js';

export const URL_A = 'https://pacs.example/dicom-web/studies/1/series/2/instances/1.2.3';
export const URL_B = 'https://pacs.example/dicom-web/studies/1/series/2/instances/1.2.4';
export const URL_C = 'https://pacs.example/dicom-web/studies/1/series/2/instances/1.2.5';

/**
 * The engine over fakes. Its hint is the original's 'minimize-requests' unless a test asks for
 * another: most core tests pin the seed's exact requests (docs/seed-behaviour.md); the
 * visible-first default has tests of its own (engine-visible-first.test.ts).
 */
export function makeEngine(options: FrameCacheEngineOptions = {}, sourceOptions: FakeSourceOptions = {}) {
  const clock = new FakeClock();
  const source = new FakeSource({ clock, ...sourceOptions });
  const logger = recordingLogger();
  const engine = new EngineCore(
    { source, clock, timers: clock, uid: fakeUid, logger, hint: 'minimize-requests', ...options },
    undefined,
  );
  return { engine, source, clock, logger };
}

/** A settled-promise flush: lets queued microtasks (deliveries, request starts) run. */
export async function flush(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Releases gated requests until the engine has nothing running or queued. */
export async function drain(engine: EngineCore, source: FakeSource): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    source.release(true);
    await flush(20);
    const stats = await engine.stats();
    if (stats.inFlight === 0 && stats.queued === 0 && source.pending === 0) return;
  }
  throw new Error('drain: the engine kept requests running');
}

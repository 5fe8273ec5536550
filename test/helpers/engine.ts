/** Builds the pure engine over fakes: a recording source, a fake clock and a recording logger. */
import { EngineCore, type FrameCacheEngineOptions } from '../../src/core/engine.js';
import { LinkLearner, type RequestSample } from '../../src/core/link-learner.js';
import type { TiledLevel } from '../../src/core/prefetch-region.js';
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

/**
 * A slow link, as the learner would have measured it: 80 ms to a first frame, 100 bytes/ms, frames
 * of 1000 bytes (300 of them after the first: a rate is read from MIN_RATE_BYTES on).
 */
export const SLOW_LINK: RequestSample = {
  startedAt: 0,
  firstFrameAt: 80,
  endedAt: 3080,
  frames: 301,
  bytes: 301_000,
  firstFrameBytes: 1000,
  linkBytes: 0,
};

/**
 * The visible-first engine (default hint) over a gated source, with platform defaults (as the
 * worker wires them) and a link learner that measured `link` for URL_A's origin, if given.
 */
export function learnedLinkEngine(
  link: RequestSample | undefined,
  { overtakeChunks = true, options = {} }: { overtakeChunks?: boolean; options?: FrameCacheEngineOptions } = {},
) {
  const clock = new FakeClock();
  const source = new FakeSource({ clock, gated: true });
  const logger = recordingLogger();
  const links = new LinkLearner();
  if (link !== undefined) links.record(URL_A, link);
  const engine = new EngineCore(
    { source, logger, framesPerRequest: 256, wholeInstanceMaxFrames: 0, ...options },
    {
      clock: () => clock,
      timers: () => clock,
      uid: fakeUid,
      createSource: () => source,
      linkLearner: () => links,
      overtakeChunks,
    },
  );
  return { engine, source, logger, clock };
}

/**
 * learnedLinkEngine after the first view of a 768-frame level at URL_A (frame 1, released):
 * chunk 0 (frames 1..256) then runs behind it, and more chunks where the link allows.
 */
export async function chunkBehindFirstView(
  link: RequestSample | undefined,
  options?: Parameters<typeof learnedLinkEngine>[1],
) {
  const built = learnedLinkEngine(link, options);
  const first = built.engine.getFrame({ url: URL_A, frameCount: 768 }, 1);
  await flush();
  built.source.release();
  await first;
  await flush();
  return built;
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

/** A single-instance level of `across` x `down` tiles of 10 px, frames numbered row by row. */
export function gridLevel(
  url: string,
  across: number,
  down: number,
): TiledLevel & { instances: { url: string; frameCount: number }[] } {
  const instance = { url, frameCount: across * down };
  return {
    width: across * 10,
    height: down * 10,
    frameWidth: 10,
    frameHeight: 10,
    instances: [instance],
    frameAt: (x, y) =>
      x < 0 || y < 0 || x >= across * 10 || y >= down * 10
        ? undefined
        : { instance, frameNumber: Math.floor(y / 10) * across + Math.floor(x / 10) + 1 },
  };
}

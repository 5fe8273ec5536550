/**
 * The real platform for the engine: performance.now, setTimeout, random uids (shared/uid.ts), the
 * DICOMweb source over fetch. Globals are read when an engine is built, never at import.
 */
import type { PlatformDefaults } from '../core/engine.js';
import { LinkLearner } from '../core/link-learner.js';
import { ModeLearner } from '../core/mode-learner.js';
import type { Clock } from '../core/ports.js';
import { realTimers } from '../shared/real-timers.js';
import { randomUid } from '../shared/uid.js';
import { DicomwebSource } from '../transport/dicomweb-source.js';
import { LazySpillStore } from './lazy-spill-store.js';

export const realClock: Clock = { now: () => performance.now() };

/** One learner per worker (or page): what one cache learned of a server, the next one knows. */
let learner: ModeLearner | undefined;
let linkLearner: LinkLearner | undefined;

export const platformDefaults: PlatformDefaults = {
  modeLearner: () => (learner ??= new ModeLearner()),
  linkLearner: () => (linkLearner ??= new LinkLearner()),
  batchWindow: { quietMs: 3, maxMs: 16 },
  clock: () => realClock,
  timers: () => realTimers,
  uid: randomUid,
  createSource: (options, ports) =>
    new DicomwebSource({
      fetch: ports.fetch,
      headers: options.headers,
      timers: ports.timers,
      requestTimeoutMs: options.requestTimeoutMs,
      maxRetries: options.maxRetries,
      cache: options.httpCache,
    }),
  // Expiry across reloads needs wall-clock time, so the store keeps its own Date.now.
  // Where IndexedDB is absent the store counts one error and behaves as empty. Its module is
  // loaded only here, when `spill` is configured (a chunk of its own in the build).
  createSpillStore: (spill, ports) =>
    new LazySpillStore(
      () =>
        import('../spill/idb-spill-store.js').then(
          ({ IdbSpillStore }) => new IdbSpillStore({ ...spill, logger: ports.logger }),
        ),
      ports.logger,
    ),
};

/** What the Loader (loader.ts) is given: its ports, its bounds, and the engine's hooks. */
import type { RequestSample, VisibleAnswer } from './link-learner.js';
import type { LoadKind } from './in-flight.js';
import type { Clock, FrameSource, Logger, SpillStore } from './ports.js';
import type { StatsCounters } from './stats.js';

export interface LoaderDeps {
  source: FrameSource;
  spill: SpillStore | undefined;
  clock: Clock;
  logger: Logger;
  stats: StatsCounters;
  maxConcurrentRequests: number;
  framesPerRequest: number;
  /** Keeps a delivered frame (copied once) and returns the bytes to hand to waiters. */
  admit(instanceUrl: string, frameNumber: number, bytes: Uint8Array, fromSpill: boolean): Uint8Array;
  /** The cached bytes of a frame, without touching recency or stats. */
  peek(instanceUrl: string, frameNumber: number): Uint8Array | undefined;
  spillKey(instanceUrl: string, frameNumber: number): string;
  /** A load that used the network ended: what it read, and how long it took. */
  onLoadMeasured?(instanceUrl: string, kind: LoadKind, bytes: number, ms: number): void;
  /** A request ended: its timing, for the link learner. */
  onRequestMeasured?(instanceUrl: string, sample: RequestSample): void;
  /** How many background requests of `frames` frames each may run at once for this instance's origin (>= 1). */
  backgroundSlots?(instanceUrl: string, frames: number): number;
  /**
   * Whether a running background request that still has `frames` frames to send would hold the
   * link long enough to yield it to a visible request; `firstFrameMs`: its own first frame's time
   * (set only where visible requests overtake chunks).
   */
  shouldYield?(instanceUrl: string, frames: number, firstFrameMs: number): boolean;
  /**
   * Whether a running visible answer's `bytesLeft` arrive before a request sent now could get its
   * first byte (background may then start beside it). Without it: only once every frame arrived.
   */
  visibleDoneBeforeNextAnswer?(instanceUrl: string, answer: VisibleAnswer): boolean;
  /**
   * Runs `then` once the callers of the frames just delivered have had their answers (a task
   * later, wherever the platform batches misses). Without it, background behind a visible answer
   * may start at once.
   */
  afterAnswers?(then: () => void): void;
}

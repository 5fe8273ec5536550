/**
 * The loader's start rules, pure over what runs (docs/scheduler.md, "Priorities and slots" and
 * "Background behind a visible answer"): whether a queued request may start now, whether a
 * visible-first answer still needs the link to itself, and how many running requests share the
 * link with a request that starts.
 */
import { BACKGROUND, VISIBLE, type SourceRequest } from './in-flight.js';
import type { VisibleAnswer } from './link-learner.js';
import { originOf } from './origin.js';

/** What the rules read of the loader's settings (LoaderDeps has them all). */
export interface StartRuleDeps {
  maxConcurrentRequests: number;
  clock: { now(): number };
  /** How many background requests of `frames` frames each may run at once for this instance's origin (>= 1). */
  backgroundSlots?(instanceUrl: string, frames: number): number;
  /** Whether a visible answer's rest arrives before a request sent now could get its first byte. */
  visibleDoneBeforeNextAnswer?(instanceUrl: string, answer: VisibleAnswer): boolean;
}

/** The requests running now (the loader's map of them). */
export type Running = ReadonlyMap<SourceRequest, unknown>;

/** A visible answer's rate is read only after this long past its first frame (earlier: noise). */
const MIN_OBSERVED_MS = 2;

/**
 * Visible first: a visible request starts whenever a slot is free. Anything else waits while a
 * visible-first answer still needs the link (visibleHoldsLink), leaves one slot free for the
 * next visible request, and background reads of an origin stay within what its link carries.
 */
export function canStart(request: SourceRequest, running: Running, deps: StartRuleDeps): boolean {
  if (request.priority === VISIBLE) return true;
  const max = deps.maxConcurrentRequests;
  let others = 0;
  let background = 0;
  const origin = originOf(request.load.instanceUrl);
  for (const other of running.keys()) {
    // A visible-first request (small: exactly the frames on screen) has the link to itself
    // until the rest of its answer arrives before a request sent now could get a first byte.
    if (other.priority === VISIBLE && other.load.kind === 'latency') {
      if (visibleHoldsLink(other, running, deps)) return false;
      others++; // its slot is taken until its end: the free one stays free beside it
      continue;
    }
    if (other.priority === VISIBLE) continue;
    others++;
    if (other.priority === BACKGROUND && originOf(other.load.instanceUrl) === origin) background++;
  }
  if (request.priority !== BACKGROUND) return true;
  if (max > 1 && others >= max - 1) return false;
  const frames = request.frameNumbers?.length ?? request.load.instanceFrameCount ?? 1;
  return background < (deps.backgroundSlots?.(request.load.instanceUrl, frames) ?? max);
}

/**
 * Whether a running visible-first request still needs the link to itself: its answer has not
 * begun, or what is left of it would still be arriving when a background request sent now got
 * its first byte.
 */
export function visibleHoldsLink(visible: SourceRequest, running: Running, deps: StartRuleDeps): boolean {
  const { firstFrameAt, startedAt, frameNumbers } = visible;
  if (firstFrameAt === undefined || startedAt === undefined || frameNumbers === undefined) return true;
  const frames = visible.deliveredFrames ?? 0;
  const bytes = visible.deliveredBytes ?? 0;
  const left = frameNumbers.length - frames;
  if (left <= 0) return false;
  // A retried answer starts again after a backoff and a new first frame: it keeps the link.
  if (visible.retried === true) return true;
  const check = deps.visibleDoneBeforeNextAnswer;
  if (check === undefined || frames === 0) return true;
  const sinceFirst = deps.clock.now() - firstFrameAt;
  const observed = sinceFirst >= MIN_OBSERVED_MS ? (bytes - (visible.firstFrameBytes ?? 0)) / sinceFirst : 0;
  const url = visible.load.instanceUrl;
  const origin = originOf(url);
  let beside = 0; // requests of its origin sharing the link with it
  for (const other of running.keys()) if (other !== visible && originOf(other.load.instanceUrl) === origin) beside++;
  return !check(url, {
    bytesLeft: left * (bytes / frames),
    observedBytesPerMs: observed,
    ownFirstFrameMs: firstFrameAt - startedAt,
    beside,
  });
}

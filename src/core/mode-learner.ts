/**
 * Chooses, per server origin, between whole-instance and block reads when the app left
 * `wholeInstanceMaxFrames` unset and asked for `'minimize-requests'` (the default visible-first
 * path reads aligned chunks: docs/scheduler.md). Which is faster depends on the server: Orthanc gzips a
 * whole-instance answer on the fly when the client accepts gzip (browsers always do), which
 * made a 7.3 MB instance take ~180 ms to its first byte against ~10 ms for a 400-frame
 * answer (docs/server-and-browser-facts.md, "Orthanc"). So the learner starts in block mode (never slower than block mode),
 * tries one moderate whole-instance read per origin once it has a block sample, and keeps
 * whole-instance mode only where it measured clearly faster per byte.
 */
import { originOf } from './origin.js';

export type ReadMode = 'instance' | 'block';

/** Loads smaller than this say more about per-request overhead than throughput. */
export const MIN_SAMPLE_BYTES = 256 * 1024;
/** Whole-instance reads are tried only on instances up to this many frames (bounded cost). */
export const MAX_EXPLORE_FRAMES = 800;
/** Whole-instance mode must be at least this much faster per byte to be chosen. */
export const PREFER_INSTANCE_RATIO = 0.8;
const MAX_EXPLORATIONS = 3;
const EWMA_WEIGHT = 0.3;

interface OriginState {
  blockMsPerMiB: number | undefined;
  instanceMsPerMiB: number | undefined;
  exploring: boolean;
  explorations: number;
}

export class ModeLearner {
  readonly #origins = new Map<string, OriginState>();

  #state(url: string): OriginState {
    const origin = originOf(url);
    let state = this.#origins.get(origin);
    if (state === undefined) {
      state = { blockMsPerMiB: undefined, instanceMsPerMiB: undefined, exploring: false, explorations: 0 };
      this.#origins.set(origin, state);
    }
    return state;
  }

  /** The read mode for a miss in an instance of `frameCount` frames. */
  choose(instanceUrl: string, frameCount: number): ReadMode {
    const state = this.#state(instanceUrl);
    if (state.blockMsPerMiB === undefined) return 'block';
    if (state.instanceMsPerMiB === undefined) {
      if (state.exploring || state.explorations >= MAX_EXPLORATIONS || frameCount > MAX_EXPLORE_FRAMES) return 'block';
      state.exploring = true;
      state.explorations++;
      return 'instance';
    }
    return state.instanceMsPerMiB <= state.blockMsPerMiB * PREFER_INSTANCE_RATIO ? 'instance' : 'block';
  }

  /** A finished load: `bytes` read from the network in `ms` (first request sent to last byte). */
  record(instanceUrl: string, mode: ReadMode, bytes: number, ms: number): void {
    const state = this.#state(instanceUrl);
    if (mode === 'instance') {
      state.exploring = false;
      // A trial that brought nothing (refused, failed): whole-instance reads are not tried again
      // on this origin; each trial's caller waited on it and got undefined.
      if (bytes === 0 && state.instanceMsPerMiB === undefined) state.explorations = MAX_EXPLORATIONS;
    }
    if (bytes < MIN_SAMPLE_BYTES || !(ms >= 0)) return;
    const sample = ms / (bytes / (1024 * 1024));
    if (mode === 'block')
      state.blockMsPerMiB =
        state.blockMsPerMiB === undefined ? sample : state.blockMsPerMiB + EWMA_WEIGHT * (sample - state.blockMsPerMiB);
    else
      state.instanceMsPerMiB =
        state.instanceMsPerMiB === undefined
          ? sample
          : state.instanceMsPerMiB + EWMA_WEIGHT * (sample - state.instanceMsPerMiB);
  }

  /** What the learner believes of an origin (for stats and tests). */
  describe(instanceUrl: string): { blockMsPerMiB?: number; instanceMsPerMiB?: number } {
    const { blockMsPerMiB, instanceMsPerMiB } = this.#state(instanceUrl);
    return {
      ...(blockMsPerMiB === undefined ? {} : { blockMsPerMiB }),
      ...(instanceMsPerMiB === undefined ? {} : { instanceMsPerMiB }),
    };
  }
}

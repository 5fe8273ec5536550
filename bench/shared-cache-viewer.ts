/**
 * One simulated viewer of `npm run bench:shared` (scripts/bench-shared-cache.mjs): a fresh engine
 * (its own memory and its own read-mode learner, as a separate user's browser would have)
 * replays a viewer trace — every tile of a view asked for at once, as a viewer paints a screen,
 * a pause between views while background loads go on — and reports how long each view took.
 */
import { EngineCore, type FrameCacheEngineOptions } from '../src/core/engine.js';
import { ModeLearner } from '../src/core/mode-learner.js';
import { platformDefaults } from '../src/platform/platform-defaults.js';

export interface ViewerView {
  url: string;
  frameCount: number;
  frameNumbers: number[];
}

export interface ViewerResult {
  /** Milliseconds from asking a view's tiles to the last of them resolved, per view. */
  viewMs: number[];
  /** Tiles that did not arrive. */
  missing: number;
  tileBytes: number;
  /** Milliseconds waiting for the background loads after the last view. */
  drainMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function runViewer(
  views: readonly ViewerView[],
  options: FrameCacheEngineOptions,
  thinkMs: number,
): Promise<ViewerResult> {
  const engine = new EngineCore(options, { ...platformDefaults, modeLearner: () => new ModeLearner() });
  const viewMs: number[] = [];
  let missing = 0;
  let tileBytes = 0;
  try {
    for (const [index, view] of views.entries()) {
      if (index > 0) await sleep(thinkMs);
      const started = performance.now();
      const frames = await engine.getFrames({ url: view.url, frameCount: view.frameCount }, view.frameNumbers);
      viewMs.push(performance.now() - started);
      for (const frame of frames) {
        if (frame === undefined) missing++;
        else tileBytes += frame.byteLength;
      }
    }
    const drainStarted = performance.now();
    await engine.waitForLoads();
    return { viewMs, missing, tileBytes, drainMs: performance.now() - drainStarted };
  } finally {
    await engine.close();
  }
}

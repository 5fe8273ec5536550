// The bench worker: times the same decodes as the main thread, inside a worker.
import type { PixelFormat } from '../../src/decode/pixel-format.js';
import { timeDecodes } from './decode-one.js';

// A worker's postMessage has no targetOrigin (unicorn/require-post-message-target-origin is about windows).
self.addEventListener('message', async (event: MessageEvent<{ frames: Uint8Array[]; format: PixelFormat }>) => {
  try {
    // oxlint-disable-next-line unicorn/require-post-message-target-origin
    self.postMessage({ ok: true, timing: await timeDecodes(event.data.frames, event.data.format) });
  } catch (error) {
    // oxlint-disable-next-line unicorn/require-post-message-target-origin
    self.postMessage({ ok: false, error: String(error) });
  }
});

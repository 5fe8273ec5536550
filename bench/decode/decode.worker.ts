// The bench worker: times the same decodes as the main thread, inside a worker.
import type { PixelFormat } from '../../src/decode/pixel-format.js';
import { timeDecodes } from './decode-one.js';

self.onmessage = async (event: MessageEvent<{ frames: Uint8Array[]; format: PixelFormat }>) => {
  try {
    self.postMessage({ ok: true, timing: await timeDecodes(event.data.frames, event.data.format) });
  } catch (error) {
    self.postMessage({ ok: false, error: String(error) });
  }
};

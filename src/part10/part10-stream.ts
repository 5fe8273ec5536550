/**
 * Progressive DICOM Part 10 frame reader: push the file's bytes in order, in any chunking,
 * and each frame is emitted as soon as its bytes are complete (the frames equal those of
 * `readPart10Frames` for the same file). Rules: see part10.ts and part10-encapsulated.ts.
 */

import { Part10FileParser } from './part10-file.js';
import type { Part10Info } from './part10-file.js';

export class Part10StreamReader {
  readonly #parser: Part10FileParser;

  /**
   * @param onFrame called once per frame, in order, frameNumber 1-based. `bytes` may be a view
   *   into a pushed chunk (or into inflated data): treat it as read-only. An error it throws
   *   propagates out of `push()`/`end()` and fails the reader.
   */
  constructor(onFrame: (frameNumber: number, bytes: Uint8Array) => void) {
    this.#parser = new Part10FileParser(onFrame, 'stream');
  }

  /**
   * The file's next bytes. The reader may keep views of `chunk` (no copy): do not change it
   * afterwards. Throws FrameCacheError('part10') on data that cannot be read; the reader is
   * then failed and every later call throws the same error.
   */
  push(chunk: Uint8Array): void {
    this.#parser.push(chunk);
  }

  /**
   * The file has ended. Throws FrameCacheError('part10') when it is truncated or inconsistent
   * (frames emitted before stay valid).
   */
  end(): Part10Info & { frameCount: number } {
    return this.#parser.end();
  }

  /** Known once the PixelData header was reached (or at end() for a file without one). */
  get info(): Part10Info | undefined {
    return this.#parser.info;
  }
}

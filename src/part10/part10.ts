/**
 * Synchronous DICOM Part 10 frame reader (whole-instance retrieval).
 *
 * - 128-byte preamble + "DICM", or a file that starts directly with the File Meta Information;
 *   meta group in explicit VR little endian; dataset in implicit VR LE, explicit VR LE (and every
 *   encapsulated syntax), explicit VR big endian, or deflated explicit VR LE. A dataset announced
 *   as explicit VR but written in implicit VR is read as implicit (as pydicom does).
 * - Native pixel data: NumberOfFrames parts of floor(length / NumberOfFrames) bytes.
 * - Encapsulated: Extended Offset Table (one entry per frame), else a non-empty Basic Offset
 *   Table, else one fragment per frame, all fragments for a single frame, or JPEG / JPEG 2000
 *   end-of-image markers (part10-encapsulated.ts). Frames keep their even-length pad byte.
 * - No PixelData, empty PixelData, or NumberOfFrames < 1 (or unparsable): zero frames.
 * - Data that cannot be read throws FrameCacheError('part10'); nothing else is thrown.
 */

import { Part10FileParser } from './part10-file.js';

export type { Part10Info } from './part10-file.js';

/**
 * The frames of a Part 10 file. Frames are views into `bytes` (deflated files: into the
 * inflated dataset), except frames made of several fragments, which are copies.
 */
export function readPart10Frames(bytes: Uint8Array): { transferSyntaxUid: string; frames: Uint8Array[] } {
  const frames: Uint8Array[] = [];
  const parser = new Part10FileParser((_frameNumber, frame) => {
    frames.push(frame);
  }, 'whole');
  parser.push(bytes);
  const info = parser.end();
  return { transferSyntaxUid: info.transferSyntaxUid, frames };
}

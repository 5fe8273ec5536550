// Types for sample-slides.mjs (plain JS so scripts can run it without a TypeScript loader).

export type SampleSlideName = 'jpeg' | 'jpeg2000' | 'none' | 'split';

export interface SampleInstance {
  sopInstanceUid: string;
  /** Absolute path of the Part 10 file. */
  file: string;
  /** NumberOfFrames of this instance. */
  frameCount: number;
  /** ConcatenationFrameOffsetNumber (0 for the first instance of a level). */
  frameOffset: number;
  transferSyntaxUid: string;
  sizeBytes: number;
}

export interface SampleLevel {
  /** TotalPixelMatrixColumns */
  width: number;
  /** TotalPixelMatrixRows */
  height: number;
  /** Columns */
  tileWidth: number;
  /** Rows */
  tileHeight: number;
  /** Frames of the level over all its instances. */
  frameCount: number;
  /** Sorted by frameOffset. */
  instances: SampleInstance[];
}

export interface SampleSlide {
  name: SampleSlideName;
  description: string;
  /** Absolute directory holding the .dcm files. */
  dir: string;
  /** Absolute paths of every instance of the series. */
  files: string[];
  studyInstanceUid: string;
  seriesInstanceUid: string;
  transferSyntaxUid: string;
  /** Size of the base level. */
  width: number;
  height: number;
  /** Largest (base) level first. */
  levels: SampleLevel[];
}

export interface SampleSlidesManifest {
  version: number;
  slides: Record<SampleSlideName, SampleSlide>;
}

export const SAMPLE_SLIDES_VERSION: number;
export const SLIDES_DIR: string;
export const MANIFEST_FILE: string;
/** The lock (a directory) held while samples are made: a second process waits for the first. */
export const LOCK_DIR: string;

/**
 * Generates the missing samples under .data/slides (well under a minute) and returns the manifest;
 * waits (up to `lockTimeoutMs`, 30 min) for another process making them.
 */
export function ensureSampleSlides(options?: { quiet?: boolean; lockTimeoutMs?: number }): SampleSlidesManifest;

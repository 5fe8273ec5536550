/** The slide model's shapes: a slide, its levels and their instances (what `openSlide` returns). */
import type { PixelFormat } from '../decode/pixel-format.js';
import type { InstanceRef } from '../core/types.js';
import type { WsiImageFlavor } from './wsi-instance.js';

export type { InstanceRef };

export interface Instance extends InstanceRef {
  sopInstanceUid: string;
  /** 0-based: ConcatenationFrameOffsetNumber, 0 when absent. */
  frameOffset: number;
  /** How its frames are encoded (transfer syntax, photometric interpretation, bits): what `getTile` decodes by. */
  pixelFormat?: PixelFormat;
}

export interface Level {
  /** Position in `Slide.levels` (or `Slide.ancillary`). */
  index: number;
  /** ImageType value 3 of the level's instances. */
  flavor?: WsiImageFlavor;
  /** TotalPixelMatrixColumns / Rows. */
  width: number;
  height: number;
  /** Columns / Rows: the tile size. */
  frameWidth: number;
  frameHeight: number;
  /** Sum of NumberOfFrames over `instances` (every frame they hold, all planes). */
  frameCount: number;
  /** (0002,0010) when the metadata has it, else AvailableTransferSyntaxUID (0008,3002), else ''. */
  transferSyntaxUid: string;
  /** Shared Pixel Measures PixelSpacing: [row spacing, column spacing] in mm. */
  pixelSpacingMm?: [number, number];
  /** Sorted by frame offset (concatenations), then instance number. */
  instances: Instance[];
  /**
   * The tile holding pixel (x = column, y = row; 0-based pixels of this level's total pixel
   * matrix). `undefined` outside the image, or where a sparse level has no tile. Addresses the
   * first optical path and focal plane when the level has several.
   */
  frameAt(x: number, y: number): { instance: Instance; frameNumber: number } | undefined;
}

export interface Slide {
  /** VOLUME levels, index 0 = largest (the base level). Empty when the series has none. */
  levels: Level[];
  /** LABEL, OVERVIEW and THUMBNAIL images, in that order. */
  ancillary: Level[];
  /** The series URL as used (normalised, no trailing slash). */
  seriesUrl: string;
}

/**
 * What decoding a frame needs from its instance's metadata (PS3.3 C.7.6.3, Image Pixel
 * Module), as `openSlide` puts it on every `Instance` (`instance.pixelFormat`).
 */
export interface PixelFormat {
  /** (0002,0010) or AvailableTransferSyntaxUID; '' when the metadata has neither. */
  transferSyntaxUid: string;
  /** Rows / Columns of one frame. */
  rows: number;
  columns: number;
  /** 1 (monochrome) or 3 (colour). */
  samplesPerPixel: number;
  /** e.g. 'RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_ICT', 'YBR_RCT', 'MONOCHROME1', 'MONOCHROME2'. */
  photometricInterpretation: string;
  /** 8 or 16. */
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  /** 0 colour-by-pixel (RGBRGB...), 1 colour-by-plane (RRR...GGG...BBB...). */
  planarConfiguration: number;
}

/** A frame decoded to 8-bit RGBA, row by row, ready for `new ImageData(rgba, width, height)`. */
export interface DecodedImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray<ArrayBuffer>;
}

/** Samples as a codec or the native layout gives them, before colour conversion. */
export interface DecodedSamples {
  width: number;
  height: number;
  components: number;
  /** 8 or 16 */
  bitsAllocated: number;
  signed: boolean;
  /** Uint8Array for 8 bits, Uint16Array / Int16Array for 16 bits. */
  data: Uint8Array | Uint16Array | Int16Array;
  /** Pixel-interleaved (RGBRGB) or planes one after another. */
  planar: boolean;
  /** The codec already returned RGB (JPEG 2000 with a component transform): no YBR conversion. */
  rgbAlready?: boolean;
}

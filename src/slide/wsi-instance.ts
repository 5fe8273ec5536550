/**
 * Reads what the slide model needs from one instance's DICOM JSON metadata (VL Whole Slide
 * Microscopy Image IOD, PS3.3 A.32.8). Pure: no network; problems are logged and the instance
 * skipped (`undefined`), never thrown.
 */
import type { Logger } from '../core/ports.js';
import type { PixelFormat } from '../decode/pixel-format.js';
import { MAX_FRAME_COUNT } from '../core/validate.js';
import {
  TAG,
  getFirstItem,
  getNumber,
  getNumbers,
  getSequence,
  getString,
  type DicomJsonDataset,
} from './dicom-json.js';

/** VL Whole Slide Microscopy Image Storage. */
export const WSI_SOP_CLASS_UID = '1.2.840.10008.5.1.4.1.1.77.1.6';

/** ImageType (0008,0008) value 3, the "image flavor" of a WSI instance. */
export type WsiImageFlavor = 'VOLUME' | 'LABEL' | 'OVERVIEW' | 'THUMBNAIL';

const FLAVORS: ReadonlySet<string> = new Set<WsiImageFlavor>(['VOLUME', 'LABEL', 'OVERVIEW', 'THUMBNAIL']);

/** A DICOM UID as it may appear in a URL path: digits and dots, at most 64 characters. */
const UID_PATTERN = /^[0-9]+(\.[0-9]+)*$/;

export function isValidUid(value: string): boolean {
  return value.length <= 64 && UID_PATTERN.test(value);
}

/** Per-frame values from the Per-Frame Functional Groups Sequence; index = frameNumber - 1. */
export interface FramePositions {
  /** ColumnPositionInTotalImagePixelMatrix (1-based pixels); NaN where the frame has none. */
  columns: Float64Array;
  /** RowPositionInTotalImagePixelMatrix (1-based pixels); NaN where the frame has none. */
  rows: Float64Array;
  /** ZOffsetInSlideCoordinateSystem (mm); NaN where absent. */
  z: Float64Array;
  /** OpticalPathIdentifier of each frame, when given per frame. */
  opticalPaths: (string | undefined)[];
}

export interface WsiInstanceInfo {
  sopInstanceUid: string;
  flavor: WsiImageFlavor;
  /** TotalPixelMatrixColumns / Rows (Columns / Rows for single-frame images that lack them). */
  totalColumns: number;
  totalRows: number;
  /** Columns / Rows: the frame (tile) size. */
  columns: number;
  rows: number;
  numberOfFrames: number;
  instanceNumber: number | undefined;
  concatenationUid: string | undefined;
  inConcatenationNumber: number | undefined;
  /** ConcatenationFrameOffsetNumber, 0 when absent. */
  frameOffset: number;
  /** DimensionOrganizationType is TILED_FULL. */
  tiledFull: boolean;
  /** DimensionOrganizationType is TILED_SPARSE (tiles placed by per-frame positions only). */
  tiledSparse: boolean;
  /** (0002,0010), else AvailableTransferSyntaxUID (0008,3002), else ''. */
  transferSyntaxUid: string;
  /** Shared Pixel Measures PixelSpacing: [row spacing, column spacing] in mm. */
  pixelSpacingMm: [number, number] | undefined;
  /** TotalPixelMatrixFocalPlanes, 1 when absent. */
  focalPlanes: number;
  /** OpticalPathIdentifier of each OpticalPathSequence item, in order. */
  opticalPathIds: string[];
  /** The optical path given in the Shared Functional Groups, if any. */
  sharedOpticalPath: string | undefined;
  /** Undefined when no frame carries a plane position. */
  positions: FramePositions | undefined;
  /** What decoding a frame needs (Image Pixel Module). */
  pixelFormat: PixelFormat;
}

function positiveInteger(value: number | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return value !== undefined && Number.isInteger(value) && value >= 1 && value <= max ? value : undefined;
}

/** Parses one instance's metadata; `undefined` (with a log line) for instances the model skips. */
export function parseWsiInstance(ds: DicomJsonDataset, logger: Logger): WsiInstanceInfo | undefined {
  const uid = getString(ds, TAG.SOPInstanceUID);
  const sopClassUid = getString(ds, TAG.SOPClassUID);
  if (sopClassUid !== WSI_SOP_CLASS_UID) {
    logger.info('openSlide: skipping an instance that is not VL Whole Slide Microscopy', {
      sopInstanceUid: uid,
      sopClassUid,
    });
    return undefined;
  }
  if (uid === undefined || !isValidUid(uid)) {
    // The UID becomes a path segment of the instance URL: anything but digits and dots is refused.
    logger.warn('openSlide: skipping an instance with an invalid SOPInstanceUID', {
      sopInstanceUid: uid?.slice(0, 80),
    });
    return undefined;
  }
  const flavorText = getString(ds, TAG.ImageType, 2)?.toUpperCase();
  let flavor: WsiImageFlavor = 'VOLUME';
  if (flavorText === undefined) {
    // OrthancWSIDicomizer 1.1 writes no ImageType at all: common enough not to warn about.
    logger.debug('openSlide: ImageType has no value 3, taking the instance as VOLUME', { sopInstanceUid: uid });
  } else if (FLAVORS.has(flavorText)) {
    flavor = flavorText as WsiImageFlavor;
  } else {
    logger.warn('openSlide: skipping an instance of unknown image flavor', { sopInstanceUid: uid, flavor: flavorText });
    return undefined;
  }
  const columns = positiveInteger(getNumber(ds, TAG.Columns), 65535);
  const rows = positiveInteger(getNumber(ds, TAG.Rows), 65535);
  const framesValue = getNumber(ds, TAG.NumberOfFrames);
  // At most the cache's MAX_FRAME_COUNT: per-frame positions are sized by it (2^40 threw a RangeError).
  const numberOfFrames = framesValue === undefined ? 1 : positiveInteger(framesValue, MAX_FRAME_COUNT);
  if (columns === undefined || rows === undefined || numberOfFrames === undefined) {
    logger.warn('openSlide: skipping an instance without valid Rows, Columns or NumberOfFrames', {
      sopInstanceUid: uid,
      rows: getNumber(ds, TAG.Rows),
      columns: getNumber(ds, TAG.Columns),
      numberOfFrames: framesValue,
    });
    return undefined;
  }
  let totalColumns = positiveInteger(getNumber(ds, TAG.TotalPixelMatrixColumns));
  let totalRows = positiveInteger(getNumber(ds, TAG.TotalPixelMatrixRows));
  if (totalColumns === undefined || totalRows === undefined) {
    if (numberOfFrames !== 1) {
      logger.warn('openSlide: skipping a multi-frame instance without TotalPixelMatrixColumns/Rows', {
        sopInstanceUid: uid,
      });
      return undefined;
    }
    totalColumns = columns;
    totalRows = rows;
  }
  const offsetValue = getNumber(ds, TAG.ConcatenationFrameOffsetNumber);
  let frameOffset = 0;
  if (offsetValue !== undefined) {
    if (Number.isSafeInteger(offsetValue) && offsetValue >= 0) frameOffset = offsetValue;
    else
      logger.warn('openSlide: ignoring an invalid ConcatenationFrameOffsetNumber', {
        sopInstanceUid: uid,
        value: offsetValue,
      });
  }
  const shared = getFirstItem(ds, TAG.SharedFunctionalGroupsSequence);
  const spacing = shared === undefined ? [] : readPixelSpacing(shared);
  const [spacingRow, spacingColumn] = spacing;
  const sharedPath = shared === undefined ? undefined : getFirstItem(shared, TAG.OpticalPathIdentificationSequence);
  const focalPlanes = positiveInteger(getNumber(ds, TAG.TotalPixelMatrixFocalPlanes)) ?? 1;
  const organization = getString(ds, TAG.DimensionOrganizationType)?.toUpperCase();
  const opticalPathIds = getSequence(ds, TAG.OpticalPathSequence)
    .map((item) => getString(item, TAG.OpticalPathIdentifier))
    .filter((id): id is string => id !== undefined);
  return {
    sopInstanceUid: uid,
    flavor,
    totalColumns,
    totalRows,
    columns,
    rows,
    numberOfFrames,
    instanceNumber: getNumber(ds, TAG.InstanceNumber),
    concatenationUid: getString(ds, TAG.ConcatenationUID),
    inConcatenationNumber: getNumber(ds, TAG.InConcatenationNumber),
    frameOffset,
    tiledFull: organization === 'TILED_FULL',
    tiledSparse: organization === 'TILED_SPARSE',
    transferSyntaxUid: getString(ds, TAG.TransferSyntaxUID) ?? getString(ds, TAG.AvailableTransferSyntaxUID) ?? '',
    pixelSpacingMm:
      spacingRow !== undefined && spacingColumn !== undefined && spacingRow > 0 && spacingColumn > 0
        ? [spacingRow, spacingColumn]
        : undefined,
    focalPlanes,
    opticalPathIds,
    sharedOpticalPath: sharedPath === undefined ? undefined : getString(sharedPath, TAG.OpticalPathIdentifier),
    positions: readPositions(ds, numberOfFrames, uid, logger),
    pixelFormat: readPixelFormat(ds, rows, columns),
  };
}

/**
 * The Image Pixel Module's description of a frame. Absent values take the commonest WSI
 * layout (8-bit RGB, colour-by-pixel) so a JPEG slide with sparse metadata still decodes; the
 * JPEG and JPEG 2000 bitstreams carry their own layout anyway.
 */
function readPixelFormat(ds: DicomJsonDataset, rows: number, columns: number): PixelFormat {
  const samplesPerPixel = positiveInteger(getNumber(ds, TAG.SamplesPerPixel), 4) ?? 3;
  const bitsAllocated = positiveInteger(getNumber(ds, TAG.BitsAllocated), 64) ?? 8;
  return {
    transferSyntaxUid: getString(ds, TAG.TransferSyntaxUID) ?? getString(ds, TAG.AvailableTransferSyntaxUID) ?? '',
    rows,
    columns,
    samplesPerPixel,
    photometricInterpretation:
      getString(ds, TAG.PhotometricInterpretation)?.toUpperCase() ?? (samplesPerPixel === 1 ? 'MONOCHROME2' : 'RGB'),
    bitsAllocated,
    bitsStored: positiveInteger(getNumber(ds, TAG.BitsStored), bitsAllocated) ?? bitsAllocated,
    pixelRepresentation: getNumber(ds, TAG.PixelRepresentation) === 1 ? 1 : 0,
    planarConfiguration: getNumber(ds, TAG.PlanarConfiguration) === 1 ? 1 : 0,
  };
}

function readPixelSpacing(group: DicomJsonDataset): (number | undefined)[] {
  const measures = getFirstItem(group, TAG.PixelMeasuresSequence);
  return measures === undefined ? [] : getNumbers(measures, TAG.PixelSpacing);
}

function readPositions(
  ds: DicomJsonDataset,
  numberOfFrames: number,
  uid: string,
  logger: Logger,
): FramePositions | undefined {
  const items = getSequence(ds, TAG.PerFrameFunctionalGroupsSequence);
  if (items.length === 0) return undefined;
  if (items.length !== numberOfFrames) {
    logger.warn('openSlide: PerFrameFunctionalGroupsSequence length differs from NumberOfFrames', {
      sopInstanceUid: uid,
      items: items.length,
      numberOfFrames,
    });
  }
  const count = Math.min(items.length, numberOfFrames);
  const positions: FramePositions = {
    columns: new Float64Array(numberOfFrames).fill(Number.NaN),
    rows: new Float64Array(numberOfFrames).fill(Number.NaN),
    z: new Float64Array(numberOfFrames).fill(Number.NaN),
    opticalPaths: Array.from({ length: numberOfFrames }, (): string | undefined => undefined),
  };
  let found = 0;
  for (let i = 0; i < count; i++) {
    const item = items[i] as DicomJsonDataset;
    const plane = getFirstItem(item, TAG.PlanePositionSlideSequence);
    if (plane !== undefined) {
      const column = getNumber(plane, TAG.ColumnPositionInTotalImagePixelMatrix);
      const row = getNumber(plane, TAG.RowPositionInTotalImagePixelMatrix);
      if (column !== undefined && row !== undefined) {
        positions.columns[i] = column;
        positions.rows[i] = row;
        found++;
      }
      positions.z[i] = getNumber(plane, TAG.ZOffsetInSlideCoordinateSystem) ?? Number.NaN;
    }
    const path = getFirstItem(item, TAG.OpticalPathIdentificationSequence);
    if (path !== undefined) positions.opticalPaths[i] = getString(path, TAG.OpticalPathIdentifier);
  }
  return found === 0 ? undefined : positions;
}

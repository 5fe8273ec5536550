/**
 * Small typed accessors over the DICOM JSON model (PS3.18 F.2): a dataset is an object keyed by
 * 8-digit upper-case hex tags, each element `{ vr, Value?: [...], BulkDataURI?, InlineBinary? }`.
 * The accessors never throw on malformed input: a missing, empty or ill-typed value reads as
 * `undefined` (or an empty list). `BulkDataURI` and `InlineBinary` are never read: metadata
 * does not get to point requests anywhere.
 */

export interface DicomJsonElement {
  vr?: string;
  Value?: unknown[];
  BulkDataURI?: string;
  InlineBinary?: string;
}

export type DicomJsonDataset = Record<string, DicomJsonElement | undefined>;

/** Tags the slide model reads (keyword -> DICOM JSON key). */
export const TAG = {
  TransferSyntaxUID: '00020010',
  ImageType: '00080008',
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  AvailableTransferSyntaxUID: '00083002',
  InstanceNumber: '00200013',
  ConcatenationUID: '00209161',
  InConcatenationNumber: '00209162',
  ConcatenationFrameOffsetNumber: '00209228',
  DimensionOrganizationType: '00209311',
  SamplesPerPixel: '00280002',
  PhotometricInterpretation: '00280004',
  PlanarConfiguration: '00280006',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  PixelSpacing: '00280030',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  PixelRepresentation: '00280103',
  PixelMeasuresSequence: '00289110',
  ZOffsetInSlideCoordinateSystem: '0040074A',
  TotalPixelMatrixColumns: '00480006',
  TotalPixelMatrixRows: '00480007',
  OpticalPathSequence: '00480105',
  OpticalPathIdentifier: '00480106',
  OpticalPathIdentificationSequence: '00480207',
  PlanePositionSlideSequence: '0048021A',
  ColumnPositionInTotalImagePixelMatrix: '0048021E',
  RowPositionInTotalImagePixelMatrix: '0048021F',
  NumberOfOpticalPaths: '00480302',
  TotalPixelMatrixFocalPlanes: '00480303',
  SharedFunctionalGroupsSequence: '52009229',
  PerFrameFunctionalGroupsSequence: '52009230',
} as const;

/** True for a plain JSON object (a dataset or a sequence item), false for arrays and null. */
export function isDataset(value: unknown): value is DicomJsonDataset {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function element(ds: DicomJsonDataset, tag: string): DicomJsonElement | undefined {
  const key = tag.toUpperCase();
  if (!Object.hasOwn(ds, key)) return undefined;
  const el: unknown = ds[key];
  return isDataset(el) ? (el as DicomJsonElement) : undefined;
}

/** The element's `Value` array, or `[]` when the element, or its Value, is absent or not an array. */
export function getValues(ds: DicomJsonDataset, tag: string): readonly unknown[] {
  const values = element(ds, tag)?.Value;
  return Array.isArray(values) ? values : [];
}

/**
 * Value `index` (0-based) as a trimmed string; numbers are turned into their decimal text.
 * `undefined` when absent, null, empty after trimming, or not a string or number.
 */
export function getString(ds: DicomJsonDataset, tag: string, index = 0): string | undefined {
  return toText(getValues(ds, tag)[index]);
}

/**
 * Value `index` (0-based) as a finite number. IS and DS values are numbers in DICOM JSON, but
 * some servers send them as strings: a numeric string is accepted too.
 */
export function getNumber(ds: DicomJsonDataset, tag: string, index = 0): number | undefined {
  return toNumber(getValues(ds, tag)[index]);
}

/** Every value as a finite number (`undefined` entries where a value is not one). */
export function getNumbers(ds: DicomJsonDataset, tag: string): (number | undefined)[] {
  return getValues(ds, tag).map(toNumber);
}

/** The items of a sequence element (SQ); items that are not objects are dropped. */
export function getSequence(ds: DicomJsonDataset, tag: string): DicomJsonDataset[] {
  return getValues(ds, tag).filter(isDataset);
}

/** The first item of a sequence element, if any. */
export function getFirstItem(ds: DicomJsonDataset, tag: string): DicomJsonDataset | undefined {
  return getSequence(ds, tag)[0];
}

function toText(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  return text === '' ? undefined : text;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : undefined;
}

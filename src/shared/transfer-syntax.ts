/**
 * Transfer syntaxes and value representations as the Part 10 reader needs them
 * (DICOM PS3.5 section 7.1 and annex A).
 */

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BIG_ENDIAN = '1.2.840.10008.1.2.2';

/** How a transfer syntax encodes the dataset that follows the File Meta Information. */
export interface DatasetEncoding {
  explicitVr: boolean;
  littleEndian: boolean;
  /** Raw deflate (no zlib header) of an explicit VR little endian dataset. */
  deflated: boolean;
  /** Pixel data in fragments (every syntax but the four native ones). */
  encapsulated: boolean;
}

export function describeTransferSyntax(uid: string): DatasetEncoding {
  switch (uid) {
    case IMPLICIT_VR_LITTLE_ENDIAN:
      return { explicitVr: false, littleEndian: true, deflated: false, encapsulated: false };
    case EXPLICIT_VR_LITTLE_ENDIAN:
      return { explicitVr: true, littleEndian: true, deflated: false, encapsulated: false };
    case DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN:
      return { explicitVr: true, littleEndian: true, deflated: true, encapsulated: false };
    case EXPLICIT_VR_BIG_ENDIAN:
      return { explicitVr: true, littleEndian: false, deflated: false, encapsulated: false };
    default:
      return { explicitVr: true, littleEndian: true, deflated: false, encapsulated: true };
  }
}

const vrCode = (vr: string): number => (vr.charCodeAt(0) << 8) | vr.charCodeAt(1);

/** VRs whose explicit-VR header has 2 reserved bytes and a 4-byte length (PS3.5 7.1.2). */
const LONG_LENGTH_VRS: ReadonlySet<number> = new Set(
  ['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'].map(vrCode),
);

export const VR_UN = vrCode('UN');

/** `code` is the two VR bytes as a big-endian 16-bit number ('OB' = 0x4f42). */
export function hasLongLength(code: number): boolean {
  return LONG_LENGTH_VRS.has(code);
}

export function isUpperCaseLetter(byte: number): boolean {
  return byte >= 0x41 && byte <= 0x5a;
}

/** `(7FE0,0010)` for messages. */
export function formatTag(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}

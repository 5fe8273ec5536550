/**
 * What a slide's frames are (for the level list), and whether the module's `getTile` decodes
 * them: JPEG by the browser, JPEG 2000 / HTJ2K / JPEG-LS by WASM codecs in the worker, RLE and
 * uncompressed pixels (docs/decoding.md). Lossless JPEG and JPEG XL are not decoded. The
 * transfer syntax comes from the metadata when the server gives it; Orthanc's metadata has none,
 * so the first bytes of a frame decide.
 */

export type TileKind = 'jpeg' | 'jpeg2000' | 'jpeg-ls' | 'jpeg-lossless' | 'jpeg-xl' | 'rle' | 'native' | 'unknown';

export interface TileFormat {
  kind: TileKind;
  /** Human-readable name, e.g. "JPEG baseline". */
  name: string;
  /** Set when `<img>`/createImageBitmap decode it: the Blob type to use. */
  mimeType?: string;
  /** Where the answer came from. */
  source: 'transfer syntax' | 'frame bytes';
}

const BY_TRANSFER_SYNTAX: Record<string, [TileKind, string]> = {
  '1.2.840.10008.1.2.4.50': ['jpeg', 'JPEG baseline'],
  '1.2.840.10008.1.2.4.51': ['jpeg', 'JPEG extended'],
  '1.2.840.10008.1.2.4.57': ['jpeg-lossless', 'JPEG lossless'],
  '1.2.840.10008.1.2.4.70': ['jpeg-lossless', 'JPEG lossless SV1'],
  '1.2.840.10008.1.2.4.80': ['jpeg-ls', 'JPEG-LS lossless'],
  '1.2.840.10008.1.2.4.81': ['jpeg-ls', 'JPEG-LS near-lossless'],
  '1.2.840.10008.1.2.4.90': ['jpeg2000', 'JPEG 2000 lossless'],
  '1.2.840.10008.1.2.4.91': ['jpeg2000', 'JPEG 2000'],
  '1.2.840.10008.1.2.4.201': ['jpeg2000', 'HTJ2K lossless'],
  '1.2.840.10008.1.2.4.202': ['jpeg2000', 'HTJ2K lossless RPCL'],
  '1.2.840.10008.1.2.4.203': ['jpeg2000', 'HTJ2K'],
  '1.2.840.10008.1.2.4.110': ['jpeg-xl', 'JPEG XL lossless'],
  '1.2.840.10008.1.2.4.111': ['jpeg-xl', 'JPEG XL JPEG recompression'],
  '1.2.840.10008.1.2.4.112': ['jpeg-xl', 'JPEG XL'],
  '1.2.840.10008.1.2.5': ['rle', 'RLE lossless'],
  '1.2.840.10008.1.2': ['native', 'uncompressed (implicit VR)'],
  '1.2.840.10008.1.2.1': ['native', 'uncompressed'],
  '1.2.840.10008.1.2.1.99': ['native', 'uncompressed (deflated dataset)'],
  '1.2.840.10008.1.2.2': ['native', 'uncompressed (big endian)'],
};

/** The format named by a transfer syntax UID, or undefined when it is empty or not known here. */
export function formatFromTransferSyntax(uid: string): TileFormat | undefined {
  const known = BY_TRANSFER_SYNTAX[uid];
  if (known === undefined) return undefined;
  const [kind, name] = known;
  return { kind, name, ...(kind === 'jpeg' ? { mimeType: 'image/jpeg' } : {}), source: 'transfer syntax' };
}

/** The format of a frame from its first bytes (JPEG: the SOF marker tells baseline from lossless and JPEG-LS). */
export function sniffFrameFormat(bytes: Uint8Array): TileFormat {
  const at = (i: number): number => bytes[i] ?? -1;
  const startsWith = (...prefix: number[]): boolean => prefix.every((b, i) => at(i) === b);
  if (startsWith(0xff, 0xd8)) return sniffJpeg(bytes);
  if (startsWith(0xff, 0x4f, 0xff, 0x51) || startsWith(0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20)) {
    return { kind: 'jpeg2000', name: 'JPEG 2000', source: 'frame bytes' };
  }
  if (startsWith(0xff, 0x0a) || startsWith(0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20)) {
    return { kind: 'jpeg-xl', name: 'JPEG XL', source: 'frame bytes' };
  }
  return { kind: 'unknown', name: 'uncompressed pixels (or RLE)', source: 'frame bytes' };
}

/** Walks the JPEG marker segments up to the first start-of-frame marker. */
function sniffJpeg(bytes: Uint8Array): TileFormat {
  let i = 2;
  // Tiles are small; the SOF comes within the first few kB (after the tables).
  while (i + 4 <= bytes.length && i < 65536) {
    if (bytes[i] !== 0xff) break;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i++; // fill byte
      continue;
    }
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      return {
        kind: 'jpeg',
        name: marker === 0xc2 ? 'JPEG progressive' : 'JPEG baseline',
        mimeType: 'image/jpeg',
        source: 'frame bytes',
      };
    }
    if (marker === 0xc3 || marker === 0xc7 || marker === 0xcb || marker === 0xcf) {
      return { kind: 'jpeg-lossless', name: 'JPEG lossless', source: 'frame bytes' };
    }
    if (marker === 0xf7) return { kind: 'jpeg-ls', name: 'JPEG-LS', source: 'frame bytes' };
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (length < 2) break;
    i += 2 + length;
  }
  // A JPEG whose SOF we could not reach: let the browser try.
  return { kind: 'jpeg', name: 'JPEG', mimeType: 'image/jpeg', source: 'frame bytes' };
}

/** Whether `getTile` decodes this format (big-endian uncompressed, lossless JPEG and JPEG XL: no). */
export function isDrawable(format: TileFormat | undefined): boolean {
  if (format === undefined) return false;
  if (format.kind === 'jpeg-lossless' || format.kind === 'jpeg-xl') return false;
  return !(format.kind === 'native' && format.name.includes('big endian'));
}

/** Why a format is not drawn, for the notice over the viewer. */
export function explainUndrawable(format: TileFormat): string {
  return `Its tiles are ${format.name}, which the module's decoders do not read (JPEG, JPEG 2000, HTJ2K, JPEG-LS, RLE and little-endian uncompressed pixels are drawn).`;
}

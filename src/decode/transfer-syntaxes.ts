/**
 * Which decoder reads which transfer syntax (PS3.5 section 8 and annex A). Sniffing the
 * bitstream covers metadata that names no syntax.
 */
export type CodecKind = 'native' | 'jpeg' | 'jpeg2000' | 'htj2k' | 'jpeg-ls' | 'rle';

const BY_UID: Readonly<Record<string, CodecKind>> = {
  '1.2.840.10008.1.2': 'native', // Implicit VR Little Endian
  '1.2.840.10008.1.2.1': 'native', // Explicit VR Little Endian
  '1.2.840.10008.1.2.1.99': 'native', // Deflated Explicit VR Little Endian (frames arrive inflated)
  '1.2.840.10008.1.2.4.50': 'jpeg', // JPEG Baseline (Process 1)
  '1.2.840.10008.1.2.4.51': 'jpeg', // JPEG Extended (Process 2 & 4): 8-bit streams only
  '1.2.840.10008.1.2.4.80': 'jpeg-ls', // JPEG-LS Lossless
  '1.2.840.10008.1.2.4.81': 'jpeg-ls', // JPEG-LS Near-Lossless
  '1.2.840.10008.1.2.4.90': 'jpeg2000', // JPEG 2000 Lossless Only
  '1.2.840.10008.1.2.4.91': 'jpeg2000', // JPEG 2000
  '1.2.840.10008.1.2.4.201': 'htj2k', // HTJ2K Lossless
  '1.2.840.10008.1.2.4.202': 'htj2k', // HTJ2K Lossless RPCL
  '1.2.840.10008.1.2.4.203': 'htj2k', // HTJ2K
  '1.2.840.10008.1.2.5': 'rle', // RLE Lossless
};

/** The decoder for a transfer syntax; `undefined` when no decoder here reads it. */
export function codecForSyntax(uid: string): CodecKind | undefined {
  return Object.hasOwn(BY_UID, uid) ? BY_UID[uid] : undefined;
}

/**
 * Guesses the codec from the first bytes of a frame, for metadata without a transfer syntax:
 * JPEG (FFD8 FF), a JPEG 2000 codestream (FF4F FF51; HTJ2K when its CAP marker FF50 follows the
 * SIZ segment), a JP2 file ('jP  ' signature box). JPEG-LS also starts with FFD8 but has an
 * SOF55 (FFF7) frame header.
 */
export function sniffCodec(bytes: Uint8Array): CodecKind | undefined {
  if (bytes.length < 4) return undefined;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    // Walk the marker segments to the first frame header (a segment's payload, an ICC profile
    // or a table, may hold the bytes FF F7 itself).
    let i = 2;
    while (i + 3 < bytes.length && bytes[i] === 0xff) {
      const marker = bytes[i + 1]!;
      if (marker === 0xff) {
        i++; // fill byte
        continue;
      }
      if (marker === 0xf7) return 'jpeg-ls';
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return 'jpeg';
      i += 2 + ((bytes[i + 2]! << 8) | bytes[i + 3]!);
    }
    return 'jpeg';
  }
  if (bytes[0] === 0xff && bytes[1] === 0x4f && bytes[2] === 0xff && bytes[3] === 0x51) {
    const sizLength = bytes.length >= 6 ? (bytes[4]! << 8) | bytes[5]! : 0;
    const next = 4 + sizLength;
    return bytes[next] === 0xff && bytes[next + 1] === 0x50 ? 'htj2k' : 'jpeg2000';
  }
  if (bytes.length >= 12 && bytes[4] === 0x6a && bytes[5] === 0x50 && bytes[6] === 0x20 && bytes[7] === 0x20)
    return 'jpeg2000';
  return undefined;
}

/**
 * For metadata without a transfer syntax (Orthanc's DICOMweb metadata has neither (0002,0010)
 * nor (0008,3002)): the bitstream signatures first, then an RLE header (1-15 segments, the
 * first at byte 64, offsets ascending), then uncompressed when the length is what the Image
 * Pixel Module says a frame takes (a pad byte allowed).
 */
export function sniffFrame(
  bytes: Uint8Array,
  layout: { rows: number; columns: number; samplesPerPixel: number; bitsAllocated: number },
): CodecKind | undefined {
  const signed = sniffCodec(bytes);
  if (signed !== undefined) return signed;
  if (bytes.length >= 64) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, 64);
    const count = view.getUint32(0, true);
    if (count >= 1 && count <= 15 && view.getUint32(4, true) === 64) {
      let ascending = true;
      for (let s = 1; s < count; s++) ascending &&= view.getUint32(4 + 4 * s, true) > view.getUint32(4 * s, true);
      if (ascending && view.getUint32(4 + 4 * (count - 1), true) < bytes.length) return 'rle';
    }
  }
  const { rows, columns, samplesPerPixel, bitsAllocated } = layout;
  const expected = (rows * columns * samplesPerPixel * bitsAllocated) / 8;
  if (expected > 0 && (bytes.length === expected || bytes.length === expected + 1)) return 'native';
  return undefined;
}

/**
 * True when a JPEG 2000 codestream's COD segment turns the multiple component transform on:
 * the decoder then returns RGB whatever the photometric interpretation says (YBR_ICT/YBR_RCT,
 * or the YBR_FULL_422 some converters write for JPEG 2000).
 */
export function j2kUsesColorTransform(bytes: Uint8Array): boolean {
  // Main header: SOC, then marker segments until the first SOT (FF90).
  let i = 2;
  while (i + 4 <= bytes.length && bytes[i] === 0xff) {
    const marker = bytes[i + 1]!;
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (marker === 0x90) return false;
    // COD: marker(2) Lcod(2) Scod(1) progression(1) layers(2) MCT(1)
    if (marker === 0x52) return (bytes[i + 8] ?? 0) !== 0;
    i += 2 + length;
  }
  return false;
}

/** Byte helpers shared by the transport and the parsers. */

/** One buffer holding `chunks` in order; the chunk itself when there is only one. */
export function concatBytes(chunks: readonly Uint8Array[], byteLength?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let length = byteLength;
  if (length === undefined) {
    length = 0;
    for (const chunk of chunks) length += chunk.byteLength;
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

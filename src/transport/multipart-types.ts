/** The shapes the multipart/related parsers hand out: parts and streaming events. */
export interface MultipartPart {
  /** Header names lower-cased, values trimmed; repeated names are joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface MultipartEvents {
  /** The headers of part `index` (0-based) are complete. */
  onPartStart?(headers: Record<string, string>, index: number): void;
  /** Body bytes of the current part, in order, as views of the pushed chunks (any number of calls). */
  onPartData?(bytes: Uint8Array, index: number): void;
  /** The delimiter line after part `index` is complete, and so is its body. */
  onPartEnd?(index: number): void;
  /** The whole part: a view when it lies inside one pushed chunk, otherwise assembled once. */
  onPart?(part: MultipartPart, index: number): void;
  /**
   * With onPart: the most body bytes worth keeping for part `index`, asked once its headers are
   * complete (default: no limit). A part whose body passes it is not kept and gets no onPart (a
   * part past the frames asked for, or longer than its Content-Length, is never held whole).
   */
  keepLimit?(headers: Record<string, string>, index: number): number;
}

/**
 * The fuzz properties over the real corpus, shared by the Vitest suites (test/fuzz/*.test.ts)
 * and the long run (`npm run fuzz`). For every mutated body and chunking:
 * - the one-shot and the streaming parser either both succeed or both throw FrameCacheError
 *   with the parser's code, and nothing else is ever thrown;
 * - the streaming parser gives the same parts / frames whatever the chunking;
 * - every part body and frame is a view inside the input (or inside one pushed chunk), or a copy
 *   no longer than the input (frames assembled from several fragments);
 * - everything handed out before the parser has seen a changed byte equals the original (real)
 *   part or frame; an unchanged body gives exactly the original parts / frames.
 */
import dicomParser from 'dicom-parser';
import fc from 'fast-check';
import { FrameCacheError } from '../../src/shared/errors.js';
import { MultipartStreamParser, parseMultipartRelated, type MultipartPart } from '../../src/transport/multipart.js';
import { boundaryOf } from '../../src/transport/content-type.js';
import { readPart10Frames } from '../../src/part10/part10.js';
import { Part10StreamReader } from '../../src/part10/part10-stream.js';
import { dicomParserFrames, type MultipartSample, type Part10Sample } from './corpus.js';
import { referenceBoundary, referenceSplit } from '../helpers/reference-multipart.js';
import { applyMutations, chunksOf, isViewInto, mutatedInput, sameBytes, type MutatedInput } from './mutations.js';

class Violation extends Error {}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Violation(message);
}

/** Rethrows anything but a FrameCacheError of `code` (a parser bug), as a violation. */
function expectParserError(error: unknown, code: 'multipart' | 'part10'): void {
  if (error instanceof Violation) throw error;
  check(
    error instanceof FrameCacheError && error.code === code,
    `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)} instead of FrameCacheError('${code}')`,
  );
}

function sameHeaders(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

interface StreamedPart {
  part: MultipartPart;
  /** Bytes pushed (end of the chunk being pushed) when the part was handed out. */
  seen: number;
}

/** Finds the pushed chunk a view lies in (every chunk has a buffer of its own). */
function chunkIndex(chunks: readonly Uint8Array[]): (view: Uint8Array) => number {
  const byBuffer = new Map<ArrayBufferLike, number>(chunks.map((chunk, i) => [chunk.buffer, i]));
  return (view) => {
    const i = byBuffer.get(view.buffer);
    return i !== undefined && isViewInto(view, chunks[i]!) ? i : -1;
  };
}

function streamMultipart(
  contentType: string,
  chunks: Uint8Array[],
  starts: number[],
): { parts: StreamedPart[]; error: unknown } {
  const parts: StreamedPart[] = [];
  const indexOf = chunkIndex(chunks);
  let current = -1;
  let data: Uint8Array[] = [];
  let error: unknown;
  try {
    const parser = new MultipartStreamParser(boundaryOf(contentType), {
      onPartStart() {
        data = [];
      },
      onPartData(bytes) {
        // Held-back bytes (a possible delimiter start) come later as views of an earlier chunk.
        const at = indexOf(bytes);
        check(at !== -1 && at <= current, 'onPartData gave bytes outside the chunks pushed');
        data.push(bytes);
      },
      onPart(part) {
        if (indexOf(part.body) === -1) {
          // Assembled across chunks: a copy that must equal the data views given for it.
          check(!chunks.some((c) => c.buffer === part.body.buffer), 'a part body is a view straddling a chunk edge');
          let at = 0;
          for (const view of data) {
            check(
              sameBytes(part.body.subarray(at, at + view.byteLength), view),
              'an assembled part differs from its data views',
            );
            at += view.byteLength;
          }
          check(at === part.body.byteLength, 'an assembled part is longer than its data');
        }
        parts.push({ part, seen: starts[current]! + chunks[current]!.byteLength });
      },
    });
    for (current = 0; current < chunks.length; current++) parser.push(chunks[current]!);
    current = chunks.length - 1;
    parser.end();
  } catch (e) {
    expectParserError(e, 'multipart');
    error = e;
  }
  return { parts, error };
}

/** How a case ended: the parser threw its error, or gave this many parts / frames. */
export interface CaseOutcome {
  failed: boolean;
  delivered: number;
  /** Parts / frames handed out before any changed byte, checked equal to the real ones. */
  checkedAgainstOriginal: number;
  /** A successful parse the independent oracle (reference splitter, dicom-parser) confirmed. */
  oracleAgreed: boolean;
  /** A successful parse the oracle could not read at all (counted, see docs/testing.md). */
  oracleRefused: boolean;
}

/** Checks one mutated multipart body; throws a Violation when a property breaks. */
export function checkMultipartCase(corpus: readonly MultipartSample[], input: MutatedInput): CaseOutcome {
  const sample = corpus[input.sample]!;
  const { bytes, firstChange } = applyMutations(sample.body, input.mutations);
  let oneShot: MultipartPart[] | undefined;
  let oneShotError: unknown;
  try {
    oneShot = parseMultipartRelated(sample.contentType, bytes);
  } catch (error) {
    expectParserError(error, 'multipart');
    oneShotError = error;
  }
  let total = 0;
  for (const part of oneShot ?? []) {
    check(isViewInto(part.body, bytes), 'a one-shot part body is not a view inside the input');
    total += part.body.byteLength;
  }
  check(total <= bytes.length, 'parts hold more bytes than the input');
  // The independent oracle: whatever the product splits, the reference splitter (no code
  // shared with src/) splits the same way.
  let oracleAgreed = false;
  if (oneShot) {
    const boundary = referenceBoundary(sample.contentType);
    const reference = boundary === undefined ? undefined : referenceSplit(bytes, boundary);
    check(
      reference !== undefined,
      `the product split ${oneShot.length} parts from a body the reference splitter rejects`,
    );
    check(
      reference.length === oneShot.length,
      `the product split ${oneShot.length} parts, the reference splitter ${reference.length}`,
    );
    oneShot.forEach((part, i) => {
      check(sameBytes(part.body, reference[i]!.body), `part ${i} differs from the reference splitter's`);
      check(
        sameHeaders(part.headers, reference[i]!.headers),
        `part ${i} headers differ from the reference splitter's: ${JSON.stringify(part.headers)} vs ${JSON.stringify(reference[i]!.headers)}`,
      );
    });
    oracleAgreed = true;
  }

  const single = streamMultipart(sample.contentType, [bytes], [0]);
  const { chunks, starts } = chunksOf(bytes, input.cuts, input.byteByByte);
  const chunked = streamMultipart(sample.contentType, chunks, starts);
  check(
    (oneShotError === undefined) === (single.error === undefined),
    'one-shot and streaming parses disagree on failing',
  );
  check((single.error === undefined) === (chunked.error === undefined), 'the chunking changed whether the parse fails');
  check(
    single.parts.length === chunked.parts.length,
    `the chunking changed the part count (${single.parts.length} vs ${chunked.parts.length})`,
  );
  let checkedAgainstOriginal = 0;
  chunked.parts.forEach(({ part, seen }, i) => {
    const reference = single.parts[i]!.part;
    check(
      sameHeaders(part.headers, reference.headers) && sameBytes(part.body, reference.body),
      `part ${i} differs between chunkings`,
    );
    if (oneShot) check(sameBytes(part.body, oneShot[i]!.body), `part ${i} differs from the one-shot parse`);
    if (seen <= firstChange) {
      const original = sample.parts[i];
      check(
        original !== undefined && sameHeaders(part.headers, original.headers) && sameBytes(part.body, original.body),
        `part ${i}, handed out before any changed byte, is not the real part`,
      );
      checkedAgainstOriginal++;
    }
  });
  if (input.mutations.length === 0) {
    check(
      chunked.error === undefined && chunked.parts.length === sample.parts.length,
      'the real body did not parse into its parts',
    );
  }
  return {
    failed: chunked.error !== undefined,
    delivered: chunked.parts.length,
    checkedAgainstOriginal,
    oracleAgreed,
    oracleRefused: false,
  };
}

/**
 * NumberOfFrames absent, or an IS (PS3.5 6.2: digits, an optional sign, space padding) holding
 * an integer >= 1, read from the raw value bytes dicom-parser locates (its string() trims any
 * whitespace, a CR included, which an IS may not hold).
 */
function validNumberOfFrames(bytes: Uint8Array): boolean {
  const element = dicomParser.parseDicom(bytes).elements['x00280008'];
  if (element === undefined) return true;
  const raw = String.fromCharCode(...bytes.subarray(element.dataOffset, element.dataOffset + element.length)).replace(
    /^ +|[ \0]+$/g,
    '',
  );
  return raw === '' || (/^\+?\d{1,12}$/.test(raw) && Number(raw) >= 1);
}

interface StreamedFrame {
  frameNumber: number;
  bytes: Uint8Array;
  seen: number;
}

function streamPart10(
  chunks: Uint8Array[],
  starts: number[],
  totalLength: number,
): { frames: StreamedFrame[]; error: unknown; frameCount: number | undefined } {
  const frames: StreamedFrame[] = [];
  const indexOf = chunkIndex(chunks);
  let current = -1;
  let error: unknown;
  let frameCount: number | undefined;
  try {
    const reader = new Part10StreamReader((frameNumber, bytes) => {
      check(frameNumber === frames.length + 1, `frame ${frameNumber} emitted after ${frames.length} frames`);
      check(bytes.byteLength > 0, `frame ${frameNumber} is empty`);
      const inside = indexOf(bytes) !== -1;
      check(
        inside || (!chunks.some((c) => c.buffer === bytes.buffer) && bytes.byteLength <= totalLength),
        `frame ${frameNumber} lies outside the input`,
      );
      frames.push({
        frameNumber,
        bytes: bytes.slice(),
        seen: starts[Math.max(0, current)]! + chunks[Math.max(0, current)]!.byteLength,
      });
    });
    for (current = 0; current < chunks.length; current++) reader.push(chunks[current]!);
    current = chunks.length - 1;
    frameCount = reader.end().frameCount;
  } catch (e) {
    expectParserError(e, 'part10');
    error = e;
  }
  return { frames, error, frameCount };
}

/** Checks one mutated Part 10 file; throws a Violation when a property breaks. */
export function checkPart10Case(corpus: readonly Part10Sample[], input: MutatedInput): CaseOutcome {
  const sample = corpus[input.sample]!;
  const { bytes, firstChange } = applyMutations(sample.bytes, input.mutations);
  let oneShot: Uint8Array[] | undefined;
  let oneShotError: unknown;
  try {
    oneShot = readPart10Frames(bytes).frames;
  } catch (error) {
    expectParserError(error, 'part10');
    oneShotError = error;
  }
  for (const frame of oneShot ?? []) {
    check(frame.byteLength > 0, 'an empty frame');
    check(
      isViewInto(frame, bytes) || (frame.buffer !== bytes.buffer && frame.byteLength <= bytes.length),
      'a one-shot frame lies outside the input',
    );
  }
  // The independent oracle: where dicom-parser reads the same bytes into as many frames, they
  // are the same frames. (dicom-parser refusing a file we read is counted, not a violation:
  // it is stricter about some elements we skip; docs/testing.md.)
  let oracleAgreed = false;
  let oracleRefused = false;
  if (oneShot) {
    let reference: Uint8Array[] | undefined;
    try {
      reference = dicomParserFrames(bytes);
      // dicom-parser slices empty frames out of an empty Pixel Data; we read no frame there.
      if (reference.some((f) => f.byteLength === 0)) reference = undefined;
      // dicom-parser found no Pixel Data (it lost the element structure somewhere we did not).
      else if (reference.length === 0 && oneShot.length > 0) reference = undefined;
      // A NumberOfFrames that is not a positive integer: the reader reads no frame (its
      // documented choice), dicom-parser guesses; no oracle there (docs/testing.md).
      if (!validNumberOfFrames(bytes)) reference = undefined;
    } catch {
      oracleRefused = true;
    }
    if (reference === undefined) oracleRefused = true;
    else {
      check(reference.length === oneShot.length, `read ${oneShot.length} frames, dicom-parser ${reference.length}`);
      oneShot.forEach((frame, i) =>
        check(sameBytes(frame, reference[i]!), `frame ${i + 1} differs from dicom-parser's`),
      );
      oracleAgreed = true;
    }
  }
  const { chunks, starts } = chunksOf(bytes, input.cuts, input.byteByByte);
  const streamed = streamPart10(chunks, starts, bytes.length);
  check(
    (oneShotError === undefined) === (streamed.error === undefined),
    'readPart10Frames and Part10StreamReader disagree on failing',
  );
  if (oneShot) {
    check(
      streamed.frames.length === oneShot.length,
      `the stream gave ${streamed.frames.length} frames, the one-shot read ${oneShot.length}`,
    );
    streamed.frames.forEach((f, i) =>
      check(sameBytes(f.bytes, oneShot[i]!), `frame ${i + 1} differs between stream and one-shot`),
    );
  }
  let checkedAgainstOriginal = 0;
  for (const frame of streamed.frames) {
    if (frame.seen > firstChange) continue;
    const original = sample.frames[frame.frameNumber - 1];
    check(
      original !== undefined && sameBytes(frame.bytes, original),
      `frame ${frame.frameNumber}, emitted before any changed byte, is not the real frame`,
    );
    checkedAgainstOriginal++;
  }
  if (input.mutations.length === 0) {
    check(
      streamed.error === undefined && streamed.frames.length === sample.frames.length,
      'the real file did not read into its frames',
    );
  }
  return {
    failed: streamed.error !== undefined,
    delivered: streamed.frames.length,
    checkedAgainstOriginal,
    oracleAgreed,
    oracleRefused,
  };
}

export interface FuzzRun {
  numRuns: number;
  seed?: number;
  /** Stop (and fail) when a run takes longer than this in total. */
  timeLimitMs?: number;
  /** Called after every case (the long run reports progress and feeds its watchdog). */
  onCase?: (outcome: CaseOutcome) => void;
}

function parameters(run: FuzzRun): fc.Parameters<[MutatedInput]> {
  return {
    numRuns: run.numRuns,
    ...(run.seed === undefined ? {} : { seed: run.seed }),
    ...(run.timeLimitMs === undefined
      ? {}
      : { interruptAfterTimeLimit: run.timeLimitMs, markInterruptAsFailure: true }),
    endOnFailure: true,
  };
}

export function fuzzMultipart(corpus: readonly MultipartSample[], run: FuzzRun): void {
  fc.assert(
    fc.property(mutatedInput(corpus.map((s) => ({ bytes: s.body, hot: s.hot }))), (input) => {
      run.onCase?.(checkMultipartCase(corpus, input));
    }),
    parameters(run),
  );
}

export function fuzzPart10(corpus: readonly Part10Sample[], run: FuzzRun): void {
  fc.assert(
    fc.property(mutatedInput(corpus), (input) => {
      run.onCase?.(checkPart10Case(corpus, input));
    }),
    parameters(run),
  );
}

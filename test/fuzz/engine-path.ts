/**
 * Fuzz of the path where a wrong frame would be born: mutated multipart answers from a fake
 * server, read by the DICOMweb source and admitted by the engine, through the public
 * `FrameCacheEngine` only (so it holds whatever the scheduler inside becomes). Property: every
 * frame `getFrames()` returns, and every frame left in memory, is the real frame of that number,
 * or bytes the (mutated) answer itself labels as that frame, or `undefined`; never another
 * frame. Nothing but a FrameCacheError is thrown. What an answer labels as frame N is decided by
 * independent oracles on the bytes sent: the reference splitter (test/helpers, no code shared
 * with src/) for frames answers — a part whose Content-Location names frame N and whose
 * Content-Length, when present, is its length; a part without location only by its position in
 * a complete answer with one part per frame asked — and dicom-parser for the Part 10 file of an
 * instance answer. A byte changed inside a frame with its length kept cannot be told from the
 * real frame by anyone: such a frame is "as sent", not a violation.
 *
 * Answers are the real 4-frame JPEG instance of the sample slides in Orthanc's form. Before the
 * byte mutations of mutations.ts, a part-level change a server could make: a part dropped,
 * repeated, two parts swapped (with their headers), a part answering another frame (with that
 * frame's Content-Location), and Content-Location removed (with drop / repeat only: a swap
 * without locations cannot be told from the right order by anyone).
 */
import fc from 'fast-check';
import { FrameCacheEngine } from '../../src/platform/frame-cache-engine.js';
import { FrameCacheError } from '../../src/shared/errors.js';
import type { FetchLike, Timers } from '../../src/core/ports.js';
import {
  ORTHANC_INSTANCE_URL,
  dicomParserFrames,
  orthancFramesAnswer,
  orthancInstanceAnswer,
  part10Corpus,
} from './corpus.js';
import { ORTHANC_LIKE_BOUNDARY, buildMultipart, orthancContentType } from '../helpers/multipart-builder.js';
import { referenceBoundary, referenceSplitPrefix } from '../helpers/reference-multipart.js';
import { applyMutations, chunksOf, mutatedInput, sameBytes, type MutatedInput } from './mutations.js';

export type ReadMode = 'block' | 'latency' | 'instance';

export type PartChange =
  | { kind: 'none' }
  | { kind: 'drop'; index: number; stripLocations: boolean }
  | { kind: 'repeat'; index: number; stripLocations: boolean }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'relabel'; index: number; as: number };

export interface EngineCase {
  mode: ReadMode;
  change: PartChange;
  bytes: MutatedInput;
  /** Mutate only the first answer (retries get clean ones), or every answer. */
  everyAnswer: boolean;
}

export interface EngineOutcome {
  requests: number;
  /** Frames returned (not undefined). */
  returned: number;
  /** Of those, frames that differ from the real one but are what the answer sent as that frame. */
  asSent: number;
  /** Frames that differ from the real one in an instance answer dicom-parser cannot read (not another frame either). */
  unjudged: number;
  /** Frames found in memory after the call. */
  cached: number;
  /** getFrames() rejected (with a FrameCacheError). */
  rejected: boolean;
}

class Violation extends Error {}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Violation(message);
}

const FRAME_COUNT = 4;

function sample() {
  const file = part10Corpus()[0]!;
  if (file.frames.length !== FRAME_COUNT) throw new Error(`the engine fuzz expects a ${FRAME_COUNT}-frame sample`);
  return file;
}

/** The frames answer for `asked`, with the part-level change applied. */
function framesAnswer(asked: readonly number[], change: PartChange) {
  const frames = sample().frames;
  let parts = orthancFramesAnswer(
    asked.map((n) => frames[n - 1]!),
    ORTHANC_INSTANCE_URL,
  ).parts;
  // orthancFramesAnswer numbers parts 1..k: put the asked frame numbers in the locations.
  parts = parts.map((p, i) => ({
    ...p,
    headers: p.headers.map(
      ([k, v]) => [k, k === 'Content-Location' ? `${ORTHANC_INSTANCE_URL}/frames/${asked[i]}` : v] as [string, string],
    ),
  }));
  const at = (i: number) => i % Math.max(1, parts.length);
  switch (change.kind) {
    case 'drop':
      parts.splice(at(change.index), 1);
      break;
    case 'repeat':
      parts.splice(at(change.index), 0, parts[at(change.index)]!);
      break;
    case 'swap': {
      const a = at(change.a);
      const b = at(change.b);
      [parts[a], parts[b]] = [parts[b]!, parts[a]!];
      break;
    }
    case 'relabel': {
      const i = at(change.index);
      const other = frames[change.as - 1]!;
      parts[i] = orthancFramesAnswer([other], ORTHANC_INSTANCE_URL).parts[0]!;
      parts[i]!.headers = parts[i]!.headers.map(([k, v]) => [
        k,
        k === 'Content-Location' ? `${ORTHANC_INSTANCE_URL}/frames/${change.as}` : v,
      ]);
      break;
    }
    case 'none':
      break;
  }
  if ((change.kind === 'drop' || change.kind === 'repeat') && change.stripLocations) {
    parts = parts.map((p) => ({ ...p, headers: p.headers.filter(([k]) => k !== 'Content-Location') }));
  }
  // Rebuilt with the changed parts, in Orthanc's form.
  return {
    body: buildMultipart(parts, { boundary: ORTHANC_LIKE_BOUNDARY }),
    contentType: orthancContentType(ORTHANC_LIKE_BOUNDARY),
  };
}

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
  });
}

/**
 * Backoff sleeps (at most 10 s) fire at once; the idle timeout and the engine's own longer
 * timers (waitForLoads) stay real.
 */
const instantBackoff = (requestTimeoutMs: number): Timers => ({
  setTimeout: (callback, ms) => setTimeout(callback, ms === requestTimeoutMs || ms > 10_000 ? ms : 0),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
});

const REQUEST_TIMEOUT_MS = 20_000;

/** Runs one case through a FrameCacheEngine over a fake server; throws a Violation when the property breaks. */
export async function checkEngineCase(input: EngineCase): Promise<EngineOutcome> {
  const file = sample();
  let requests = 0;
  /** Per frame number, the bytes the answers sent as that frame (by the oracles). */
  const sent = new Map<number, Uint8Array[]>();
  let unreadableInstance = false;
  const label = (n: number, bytes: Uint8Array): void => {
    if (!sent.has(n)) sent.set(n, []);
    sent.get(n)!.push(bytes);
  };
  const fetch = (async (url: string) => {
    requests++;
    const mutate = input.everyAnswer || requests === 1;
    const framesAt = url.indexOf('/frames/');
    const answer =
      framesAt === -1
        ? orthancInstanceAnswer(file.bytes)
        : framesAnswer(
            url
              .slice(framesAt + '/frames/'.length)
              .split(',')
              .map(Number),
            mutate ? input.change : { kind: 'none' },
          );
    const bytes = mutate ? applyMutations(answer.body, input.bytes.mutations).bytes : answer.body;
    if (framesAt === -1) unreadableInstance ||= !labelInstance(bytes, answer.contentType, label);
    else
      labelFrames(
        bytes,
        answer.contentType,
        url
          .slice(framesAt + '/frames/'.length)
          .split(',')
          .map(Number),
        label,
      );
    const { chunks } = chunksOf(bytes, input.bytes.cuts, input.bytes.byteByByte);
    return new Response(streamOf(chunks), { status: 200, headers: { 'content-type': answer.contentType } });
  }) as unknown as FetchLike;
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  const engine = new FrameCacheEngine({
    fetch,
    timers: instantBackoff(REQUEST_TIMEOUT_MS),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    maxRetries: 1,
    framesPerMiss: FRAME_COUNT,
    wholeInstanceMaxFrames: input.mode === 'instance' ? 100 : 1,
    hint: input.mode === 'latency' ? 'minimize-latency' : 'minimize-requests',
    logger: silent,
  });
  const instance = { url: ORTHANC_INSTANCE_URL, frameCount: FRAME_COUNT };
  const numbers = [1, 2, 3, 4];
  let returned = 0;
  let asSent = 0;
  let unjudged = 0;
  let cached = 0;
  const judge = (n: number, bytes: Uint8Array, what: string): void => {
    if (sameBytes(bytes, file.frames[n - 1]!)) return;
    if (sent.get(n)?.some((b) => sameBytes(b, bytes))) {
      asSent++;
      return;
    }
    const other = file.frames.findIndex((f) => sameBytes(f, bytes));
    check(other === -1, `${what} frame ${n} is frame ${other + 1}`);
    check(
      unreadableInstance,
      `${what} bytes for frame ${n} that no answer sent as frame ${n} (${bytes.byteLength} bytes)`,
    );
    unjudged++;
  };
  let rejected = false;
  try {
    let results: (Uint8Array | undefined)[] = [];
    try {
      results = await engine.getFrames(instance, numbers);
    } catch (error) {
      check(
        error instanceof FrameCacheError,
        `getFrames() rejected with ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
      rejected = true;
    }
    results.forEach((bytes, i) => {
      if (bytes === undefined) return;
      judge(i + 1, bytes, 'getFrames() returned as');
      returned++;
    });
    // Loads the call did not wait for (a block's other frames) settle before the memory check.
    await engine.waitForLoads();
    for (const n of numbers) {
      const bytes = await engine.getCachedFrame(ORTHANC_INSTANCE_URL, n);
      if (bytes === undefined) continue;
      judge(n, bytes, 'the cache holds as');
      cached++;
    }
    if (input.bytes.mutations.length === 0 && input.change.kind === 'none') {
      check(returned === FRAME_COUNT, `a clean answer gave ${returned} of ${FRAME_COUNT} frames`);
    }
  } finally {
    await engine.close();
  }
  return { requests, returned, asSent, unjudged, cached, rejected };
}

/** What a frames answer sends as which frame, by the reference splitter. */
function labelFrames(
  body: Uint8Array,
  contentType: string,
  asked: readonly number[],
  label: (n: number, bytes: Uint8Array) => void,
): void {
  const boundary = referenceBoundary(contentType);
  if (boundary === undefined) return;
  const { parts, complete } = referenceSplitPrefix(body, boundary);
  parts.forEach((part, i) => {
    const length = part.headers['content-length'];
    if (length !== undefined && Number(length) !== part.body.byteLength) return;
    const location = part.headers['content-location'];
    if (location !== undefined) {
      const n = /\/frames\/(\d+)$/.exec(location)?.[1];
      if (n !== undefined) label(Number(n), part.body);
    } else if (complete && parts.length === asked.length) {
      label(asked[i]!, part.body);
    }
  });
}

/** What an instance answer sends as which frame, by dicom-parser; false when it cannot read it. */
function labelInstance(body: Uint8Array, contentType: string, label: (n: number, bytes: Uint8Array) => void): boolean {
  const boundary = referenceBoundary(contentType);
  const first = boundary === undefined ? undefined : referenceSplitPrefix(body, boundary).parts[0];
  if (first === undefined) return false;
  try {
    dicomParserFrames(first.body).forEach((frame, i) => label(i + 1, frame));
    return true;
  } catch {
    return false;
  }
}

export function engineCase(): fc.Arbitrary<EngineCase> {
  const full = orthancFramesAnswer(sample().frames, ORTHANC_INSTANCE_URL).body;
  const hot: number[] = [0];
  for (let i = 0; i + 1 < full.length; i++) if (full[i] === 0x0d && full[i + 1] === 0x0a) hot.push(i, i + 2);
  const index = fc.integer({ min: 0, max: FRAME_COUNT - 1 });
  const change: fc.Arbitrary<PartChange> = fc.oneof(
    { weight: 3, arbitrary: fc.constant<PartChange>({ kind: 'none' }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('drop' as const), index, stripLocations: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), index, stripLocations: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('swap' as const), a: index, b: index }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('relabel' as const),
        index,
        as: fc.integer({ min: 1, max: FRAME_COUNT }),
      }),
    },
  );
  return fc.record({
    mode: fc.constantFrom<ReadMode>('block', 'latency', 'instance'),
    change,
    bytes: mutatedInput([{ bytes: full, hot }]),
    everyAnswer: fc.boolean(),
  });
}

export interface EngineFuzzRun {
  numRuns: number;
  seed?: number;
  onCase?: (outcome: EngineOutcome, input: EngineCase) => void;
}

export async function fuzzEnginePath(run: EngineFuzzRun): Promise<void> {
  await fc.assert(
    fc.asyncProperty(engineCase(), async (input) => {
      run.onCase?.(await checkEngineCase(input), input);
    }),
    { numRuns: run.numRuns, ...(run.seed === undefined ? {} : { seed: run.seed }), endOnFailure: true },
  );
}

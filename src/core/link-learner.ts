/**
 * What the cache learns of each server origin from its own requests (docs/scheduler.md, "What is
 * learned"): the time to the first frame of an answer (round trip + the server's
 * time to its first byte), the rate at which answer bytes arrive, and the mean frame size. The
 * scheduler sizes its background concurrency from them: enough chunks in flight to cover one
 * round trip of the link, never so many that a visible request queues behind a long tail.
 */
import { originOf } from './origin.js';

export interface LinkEstimate {
  /** Server origin (scheme://host:port). */
  origin: string;
  /** Requests measured. */
  samples: number;
  /** Smoothed time from sending a request to its first frame, ms (round trip + server time). */
  firstFrameMs: number;
  /** Smallest first-frame time seen, ms: the best estimate of the round trip alone. */
  minFirstFrameMs: number;
  /**
   * Smoothed rate of the link, bytes per ms (1000 bytes/ms = 8 Mbit/s): the frame bytes every request
   * of the origin delivered while an answer came, after its first frame, over that time.
   */
  bytesPerMs: number;
  /** Smoothed frame size, bytes. */
  meanFrameBytes: number;
}

/** A visible answer still arriving, as the loader sees it (visibleDoneBeforeNextAnswer). */
export interface VisibleAnswer {
  /** Bytes still to come: the frames left times the answer's mean frame so far. */
  bytesLeft: number;
  /** The rate the answer has shown since its first frame, bytes per ms; 0 until read. */
  observedBytesPerMs: number;
  /** The answer's own time from sending to its first frame, ms. */
  ownFirstFrameMs: number;
  /** Other requests of its origin running beside it (sharing the link). */
  beside: number;
}

/** One finished request as the loader saw it (times on the engine's clock). */
export interface RequestSample {
  startedAt: number;
  firstFrameAt: number | undefined;
  endedAt: number;
  frames: number;
  bytes: number;
  firstFrameBytes: number;
  /**
   * Frame bytes the requests of its origin (itself included) delivered from its first frame to
   * its end: the link's work over that time, however it was shared (docs/scheduler.md, "The
   * rate, counted by the link's bytes"). Never taken as less than its own bytes after its first
   * frame (0: the origin's other requests are not known).
   */
  linkBytes: number;
}

const WEIGHT = 0.3;
/**
 * Rates measured on answers that took less than this after their first frame say more about how
 * the browser hands a body over (in reads of up to a few hundred kB) than about the link: on
 * loopback a 16-frame answer of 155 kB arrives in 2-3 ms, in one to three reads, and measured
 * 20-70 kB/ms on a link that carries 120-270 kB/ms (docs/scheduler.md, "What the link learner
 * trusts").
 */
export const MIN_RATE_MS = 10;
/**
 * Nor from an answer of fewer bytes than this after its first frame: a fresh browser context
 * hands a body to the worker slowly for its first few hundred ms, so a 16-frame answer of 155 kB
 * that left Orthanc within 1 ms reached the worker in 3 reads over 23 ms and taught the link
 * 8.4 kB/ms; the engine then overtook frames of a chunk and cut the next chunk short (6 requests
 * where 4 do) on loopback (docs/scheduler.md, "What the link learner trusts"). An answer this
 * large spans enough reads that one slow hand-over does not set the rate.
 */
export const MIN_RATE_BYTES = 256 * 1024;
/**
 * Transfer time (ms) a background request must still have ahead of it to yield to a visible one
 * (holdsLink): on loopback (~100 kB/ms) a 256-frame chunk of ~2.8 MB transfers in less, so its
 * aligned URL is kept whole there.
 */
export const YIELD_MIN_MS = 50;

/**
 * A background request starts beside a visible answer's tail only where the link's first-frame
 * time is at least this long (visibleDoneBeforeNextAnswer). Starting early saves at most one
 * first-frame time of idle link; below this (loopback, a LAN) that is a few ms, and the second
 * answer's work (the server's, the browser's, the worker's) then competes for the CPU with the
 * delivery of the frames on screen. Measured on loopback, the trace's first view: median 57 ms
 * held against 74 ms started early (8 runs each, alternated; docs/scheduler.md, "Background
 * behind a visible answer").
 */
export const EARLY_START_MIN_MS = 10;

/** Instances whose own request cost is kept (the most recently measured). */
const INSTANCES_KEPT = 64;
/**
 * Reading the rest of an instance whole replaces its remaining chunks only when it is expected to
 * take at most 1/this of their time (wholeReadFaster): the estimate leaves out the server's time
 * to send a whole file, and a whole-instance read does not yield the link.
 */
export const WHOLE_READ_MARGIN = 2;

/**
 * The ends of this many of an instance's latest requests give the pace at which its chunks
 * actually come (wholeReadFaster): three intervals.
 */
const CADENCE_ENDS = 4;

/** One instance's own requests: what one request on it costs (large files cost the server more). */
interface InstanceCost {
  firstFrameMs: number;
  meanFrameBytes: number;
  /** When its latest requests ended (at most CADENCE_ENDS, oldest first). */
  ends: number[];
}

const smooth = (old: number, sample: number): number => old + WEIGHT * (sample - old);

/** The mean time between consecutive request ends (ms); undefined before three ends. */
function cadenceMs(ends: readonly number[]): number | undefined {
  if (ends.length < 3) return undefined;
  return (ends[ends.length - 1]! - ends[0]!) / (ends.length - 1);
}

export class LinkLearner {
  readonly #origins = new Map<string, LinkEstimate>();
  /** Per instance URL, oldest measured first (at most INSTANCES_KEPT). */
  readonly #instances = new Map<string, InstanceCost>();

  record(instanceUrl: string, sample: RequestSample): void {
    if (sample.firstFrameAt === undefined || sample.frames === 0) return;
    // A sample whose times or sizes are not numbers (a clock that failed) would make every
    // estimate NaN for good, and backgroundSlots with it: no background request would start.
    const numbers = [
      sample.startedAt,
      sample.firstFrameAt,
      sample.endedAt,
      sample.bytes,
      sample.firstFrameBytes,
      sample.linkBytes,
    ];
    if (!numbers.every(Number.isFinite) || !(sample.frames > 0)) return;
    const origin = originOf(instanceUrl);
    const firstFrameMs = Math.max(0, sample.firstFrameAt - sample.startedAt);
    const restMs = sample.endedAt - sample.firstFrameAt;
    const restBytes = sample.bytes - sample.firstFrameBytes;
    // What the link carried while this answer came, for every request of the origin.
    const rate =
      restMs >= MIN_RATE_MS && restBytes >= MIN_RATE_BYTES ? Math.max(restBytes, sample.linkBytes) / restMs : undefined;
    const frameBytes = sample.bytes / sample.frames;
    this.#recordInstance(instanceUrl, firstFrameMs, frameBytes, sample.endedAt);
    const known = this.#origins.get(origin);
    if (known === undefined) {
      this.#origins.set(origin, {
        origin,
        samples: 1,
        firstFrameMs,
        minFirstFrameMs: firstFrameMs,
        bytesPerMs: rate ?? 0,
        meanFrameBytes: frameBytes,
      });
      return;
    }
    known.samples++;
    known.firstFrameMs = smooth(known.firstFrameMs, firstFrameMs);
    known.minFirstFrameMs = Math.min(known.minFirstFrameMs, firstFrameMs);
    if (rate !== undefined) known.bytesPerMs = known.bytesPerMs === 0 ? rate : smooth(known.bytesPerMs, rate);
    known.meanFrameBytes = smooth(known.meanFrameBytes, frameBytes);
  }

  estimate(instanceUrl: string): LinkEstimate | undefined {
    return this.#origins.get(originOf(instanceUrl));
  }

  /**
   * How many background chunks of `chunkFrames` frames to keep in flight: one, plus as many as
   * the bytes the link carries during one first-frame time (its bandwidth-delay product), so the
   * link stays busy while each new request waits for its first byte; at most `max`.
   */
  backgroundSlots(instanceUrl: string, chunkFrames: number, max: number): number {
    const link = this.estimate(instanceUrl);
    if (link === undefined || link.bytesPerMs === 0) return Math.min(max, 3);
    const chunkBytes = Math.max(1, chunkFrames * link.meanFrameBytes);
    const inFlightBytes = link.bytesPerMs * link.firstFrameMs;
    const slots = 1 + Math.round(inFlightBytes / chunkBytes);
    return Number.isFinite(slots) ? Math.max(1, Math.min(max, slots)) : Math.max(1, Math.min(max, 3));
  }

  /**
   * Whether `frames` frames still to come on this origin's link hold it long enough that the
   * background request carrying them should yield it to a visible request (Loader,
   * docs/scheduler.md "Yielding the link"). Their transfer must take longer than asking for them
   * again costs the background read: the link's quickest first frame, and `firstFrameMs`, that
   * request's own (an archive that parses a large file per request answers it slowly every
   * time); and longer than YIELD_MIN_MS. False until the link is measured.
   */
  holdsLink(instanceUrl: string, frames: number, firstFrameMs = 0): boolean {
    const link = this.estimate(instanceUrl);
    if (link === undefined || link.bytesPerMs === 0) return false;
    const transferMs = (frames * link.meanFrameBytes) / link.bytesPerMs;
    return transferMs > Math.max(YIELD_MIN_MS, link.minFirstFrameMs, firstFrameMs);
  }

  /**
   * Whether a visible answer's rest will have arrived before a request sent now could receive
   * its first byte (docs/scheduler.md, "Background behind a visible answer"): a request consumes
   * none of the link until one first-frame time after it is sent, so background chunks sent
   * then do not slow the visible answer.
   *
   * The rate is the lower of the answer's own so far (`observedBytesPerMs`, 0 until read) and
   * the link's share left to it (the link's rate over 1 + `beside`); either alone where the
   * other is unknown. The first-frame time is the lower of the link's quickest and the answer's
   * own; before the link is measured, half the answer's own (a first request may have paid
   * for the connection, and a server's first read of a file is its slowest).
   */
  visibleDoneBeforeNextAnswer(instanceUrl: string, answer: VisibleAnswer): boolean {
    if (answer.bytesLeft <= 0) return true;
    const link = this.estimate(instanceUrl);
    const share = link !== undefined && link.bytesPerMs > 0 ? link.bytesPerMs / (1 + answer.beside) : 0;
    const observed = answer.observedBytesPerMs;
    const rate = share > 0 && observed > 0 ? Math.min(share, observed) : Math.max(share, observed);
    if (!(rate > 0)) return false;
    const firstFrameMs =
      link === undefined ? answer.ownFirstFrameMs / 2 : Math.min(link.minFirstFrameMs, answer.ownFirstFrameMs);
    if (firstFrameMs < EARLY_START_MIN_MS) return false;
    return answer.bytesLeft / rate <= firstFrameMs;
  }

  /**
   * Whether reading an instance whole (again, from its first frame) is expected to end well
   * before its `chunksLeft` remaining chunks of `chunkFrames` would, `slots` of them at a time
   * (docs/scheduler.md, "A level read in order"). A chunk costs one request on this instance
   * (its measured first-frame time: Orthanc parses the whole file for each, ~440-600 ms at
   * 105 MB) and its bytes; the whole read costs one such request and every frame's bytes. So it
   * pays where the server's per-request cost dominates (a large file on a fast link) and not
   * where the link's bandwidth does (the same file on 40 Mbit/s: 21 s either way, and a whole
   * read does not yield the link). False until this instance and the link's rate are measured.
   */
  wholeReadFaster(
    instanceUrl: string,
    frameCount: number,
    chunksLeft: number,
    chunkFrames: number,
    slots: number,
  ): boolean {
    const link = this.estimate(instanceUrl);
    const own = this.#instances.get(instanceUrl);
    if (link === undefined || own === undefined || !(link.bytesPerMs > 0)) return false;
    const chunkMs = (chunkFrames * own.meanFrameBytes) / link.bytesPerMs;
    let chunkedMs = Math.max((chunksLeft * own.firstFrameMs) / Math.max(1, slots), chunksLeft * chunkMs);
    // The model takes `slots` requests to run at once at no extra cost; a server that parses a
    // large file per request on a few cores does not (the 51,200-frame level's chunks came
    // every ~280 ms where the model said 110: docs/scheduler.md, "A level read in order"). So
    // the pace its chunks came at, measured, counts where it is slower: no slower than one
    // request after another (a pause of the reader between two is not the server's), no faster
    // than the bytes alone.
    const cadence = cadenceMs(own.ends);
    if (cadence !== undefined)
      chunkedMs = Math.max(chunkedMs, chunksLeft * Math.min(Math.max(cadence, chunkMs), own.firstFrameMs + chunkMs));
    const wholeMs = own.firstFrameMs + (frameCount * own.meanFrameBytes) / link.bytesPerMs;
    return wholeMs * WHOLE_READ_MARGIN <= chunkedMs;
  }

  /** The mean frame size measured on this instance, bytes; undefined before a request on it. */
  instanceFrameBytes(instanceUrl: string): number | undefined {
    return this.#instances.get(instanceUrl)?.meanFrameBytes;
  }

  #recordInstance(instanceUrl: string, firstFrameMs: number, frameBytes: number, endedAt: number): void {
    const known = this.#instances.get(instanceUrl);
    this.#instances.delete(instanceUrl);
    this.#instances.set(
      instanceUrl,
      known === undefined
        ? { firstFrameMs, meanFrameBytes: frameBytes, ends: [endedAt] }
        : {
            firstFrameMs: smooth(known.firstFrameMs, firstFrameMs),
            meanFrameBytes: smooth(known.meanFrameBytes, frameBytes),
            ends: [...known.ends, endedAt].sort((a, b) => a - b).slice(-CADENCE_ENDS),
          },
    );
    if (this.#instances.size > INSTANCES_KEPT) this.#instances.delete(this.#instances.keys().next().value!);
  }

  /** Every origin measured, for stats(). */
  describe(): LinkEstimate[] {
    return [...this.#origins.values()].map((e) => ({ ...e }));
  }
}

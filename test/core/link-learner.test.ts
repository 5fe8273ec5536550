import { describe, expect, it } from 'vitest';
import {
  EARLY_START_MIN_MS,
  LinkLearner,
  MIN_RATE_BYTES,
  MIN_RATE_MS,
  WHOLE_READ_MARGIN,
} from '../../src/core/link-learner.js';

const URL = 'https://pacs.example/dicom-web/studies/1/series/2/instances/3';
/** 80 ms to the first frame, then 300 KB (over MIN_RATE_BYTES) at 1000 bytes/ms: frames of 10 KB. */
const LINK_80MS = {
  startedAt: 0,
  firstFrameAt: 80,
  endedAt: 380,
  frames: 31,
  bytes: 310_000,
  firstFrameBytes: 10_000,
  linkBytes: 0,
};

describe('LinkLearner', () => {
  it('learns first-frame time, rate and frame size per origin', () => {
    const learner = new LinkLearner();
    learner.record(URL, LINK_80MS);
    const [link] = learner.describe();
    expect(link).toMatchObject({
      origin: 'https://pacs.example',
      samples: 1,
      firstFrameMs: 80,
      minFirstFrameMs: 80,
      bytesPerMs: 1000,
      meanFrameBytes: 10_000,
    });
    expect(learner.estimate('https://other.example/x')).toBeUndefined();
  });

  it('counts a shared link: what every request of the origin got while the answer came', () => {
    const learner = new LinkLearner();
    // 270 kB of its own and as much for another request beside it, in 2.7 s.
    learner.record(URL, {
      startedAt: 0,
      firstFrameAt: 10,
      endedAt: 2710,
      frames: 28,
      bytes: 280_000,
      firstFrameBytes: 10_000,
      linkBytes: 540_000,
    });
    expect(learner.estimate(URL)?.bytesPerMs).toBe(200);
  });

  it('takes the link for what it carried, not for its share at the start (the first view on 80 ms / 40 Mbit/s)', () => {
    const learner = new LinkLearner();
    // A 730 kB answer sent with three short ones that were over by its first frame: it had the
    // 5 kB/ms link to itself (the others' 20 kB came during it). Counted as a quarter of the link
    // (its rate times the 4 requests running at its start), it taught 20 kB/ms.
    learner.record(URL, {
      startedAt: 0,
      firstFrameAt: 100,
      endedAt: 246,
      frames: 40,
      bytes: 730_000,
      firstFrameBytes: 18_250,
      linkBytes: 711_750 + 20_000,
    });
    expect(learner.estimate(URL)?.bytesPerMs).toBeCloseTo(5_012, 0);
  });

  it('takes no rate from an answer that arrived within MIN_RATE_MS of its first frame', () => {
    const learner = new LinkLearner();
    // Loopback: 155 kB in 3 ms, as the browser hands it over in a few reads.
    learner.record(URL, {
      startedAt: 0,
      firstFrameAt: 20,
      endedAt: 20 + MIN_RATE_MS - 1,
      frames: 16,
      bytes: 155_000,
      firstFrameBytes: 9_700,
      linkBytes: 0,
    });
    expect(learner.estimate(URL)).toMatchObject({ samples: 1, firstFrameMs: 20, bytesPerMs: 0 });
    // Unknown rate: no yielding, the default background slots.
    expect(learner.holdsLink(URL, 256)).toBe(false);
    expect(learner.backgroundSlots(URL, 256, 5)).toBe(3);
  });

  it('takes no rate from an answer of fewer than MIN_RATE_BYTES after its first frame, however long it took', () => {
    const learner = new LinkLearner();
    // A fresh browser context: 155 kB that left the server at once, handed to the worker over 16 ms.
    const small = { startedAt: 0, firstFrameAt: 24, endedAt: 40, frames: 16, bytes: 147_674, firstFrameBytes: 9_522 };
    learner.record(URL, { ...small, linkBytes: 0 });
    expect(learner.estimate(URL)).toMatchObject({ samples: 1, firstFrameMs: 24, bytesPerMs: 0 });
    expect(learner.holdsLink(URL, 256)).toBe(false); // nothing yields on it
    expect(learner.backgroundSlots(URL, 256, 3)).toBe(3);
    // The same time for MIN_RATE_BYTES after the first frame: a rate.
    learner.record(URL, { ...small, bytes: 9_522 + MIN_RATE_BYTES, linkBytes: 0 });
    expect(learner.estimate(URL)?.bytesPerMs).toBe(MIN_RATE_BYTES / 16);
  });

  it('ignores requests that delivered nothing', () => {
    const learner = new LinkLearner();
    learner.record(URL, {
      startedAt: 0,
      firstFrameAt: undefined,
      endedAt: 30,
      frames: 0,
      bytes: 0,
      firstFrameBytes: 0,
      linkBytes: 0,
    });
    expect(learner.describe()).toEqual([]);
  });

  describe('backgroundSlots()', () => {
    it('is 3 (at most max) before the rate is known', () => {
      const learner = new LinkLearner();
      expect(learner.backgroundSlots(URL, 64, 5)).toBe(3);
      expect(learner.backgroundSlots(URL, 64, 1)).toBe(1);
    });
    it('covers the bandwidth-delay product: a long round trip on a fast link keeps more chunks in flight', () => {
      const slow = new LinkLearner(); // 80 ms, 5 MB/s: 400 KB in flight; chunks of 64 x 7.3 KB
      slow.record(URL, {
        startedAt: 0,
        firstFrameAt: 80,
        endedAt: 180,
        frames: 70,
        bytes: 507_300,
        firstFrameBytes: 7_300,
        linkBytes: 0,
      });
      expect(slow.backgroundSlots(URL, 64, 3)).toBe(2);
      const loopback = new LinkLearner(); // 2 ms to the first frame: one chunk at a time carries it
      loopback.record(URL, {
        startedAt: 0,
        firstFrameAt: 2,
        endedAt: 12,
        frames: 70,
        bytes: 507_300,
        firstFrameBytes: 7_300,
        linkBytes: 0,
      });
      expect(loopback.backgroundSlots(URL, 64, 3)).toBe(1);
      const far = new LinkLearner(); // 300 ms on 25 MB/s: capped at max
      far.record(URL, {
        startedAt: 0,
        firstFrameAt: 300,
        endedAt: 320,
        frames: 70,
        bytes: 507_300,
        firstFrameBytes: 7_300,
        linkBytes: 0,
      });
      expect(far.backgroundSlots(URL, 64, 3)).toBe(3);
    });
  });

  describe('visibleDoneBeforeNextAnswer()', () => {
    const answer = (bytesLeft: number, observedBytesPerMs: number, ownFirstFrameMs: number, beside = 0) => ({
      bytesLeft,
      observedBytesPerMs,
      ownFirstFrameMs,
      beside,
    });
    it("before the link is measured: the answer's own rate against half its own first frame", () => {
      const learner = new LinkLearner();
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(0, 0, 80))).toBe(true); // every frame in
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(200_000, 0, 80))).toBe(false); // rate unknown
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(200_000, 5_000, 80))).toBe(true); // 40 <= 40 ms
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(200_000, 4_000, 80))).toBe(false); // 50 > 40 ms
    });
    it("once measured: the lower of the link's share and the answer's own rate, against the quickest first frame", () => {
      const learner = new LinkLearner(); // 1000 bytes/ms, 80 ms to a first frame
      learner.record(URL, LINK_80MS);
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(70_000, 0, 200))).toBe(true); // 70 <= 80 ms
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(90_000, 0, 200))).toBe(false); // 90 > 80 ms
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(70_000, 50_000, 200))).toBe(true); // the link's rate, lower
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(70_000, 500, 200))).toBe(false); // its own, lower: 140 ms
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(70_000, 0, 60))).toBe(false); // own first frame 60 ms
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(70_000, 0, 200, 1))).toBe(false); // half the link: 140 ms
    });
    it('never starts early where a first frame takes under EARLY_START_MIN_MS (loopback, a LAN)', () => {
      const learner = new LinkLearner();
      // Unmeasured: half its own first frame, 9 ms, is under the floor however fast the answer.
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(1_000, 100_000, 18))).toBe(false);
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(1_000, 100_000, 2 * EARLY_START_MIN_MS))).toBe(true);
      expect(learner.visibleDoneBeforeNextAnswer(URL, answer(0, 0, 2))).toBe(true); // every frame in
    });
  });

  describe('wholeReadFaster: the rest of an instance whole, or its chunks', () => {
    const OTHER = 'https://pacs.example/dicom-web/studies/1/series/2/instances/4';
    /** A request on URL: `firstMs` to its first frame (the server's cost), 1024 frames of 100 bytes. */
    const onInstance = (firstMs: number): typeof LINK_80MS => ({
      startedAt: 0,
      firstFrameAt: firstMs,
      endedAt: firstMs,
      frames: 1024,
      bytes: 102_400,
      firstFrameBytes: 100,
      linkBytes: 0,
    });
    it('unknown until the instance and the rate are measured', () => {
      const learner = new LinkLearner();
      expect(learner.wholeReadFaster(URL, 20_000, 17, 1024, 3)).toBe(false);
      learner.record(URL, onInstance(600)); // the instance, but no rate yet
      expect(learner.wholeReadFaster(URL, 20_000, 17, 1024, 3)).toBe(false);
      expect(learner.instanceFrameBytes(URL)).toBe(100);
      expect(learner.instanceFrameBytes(OTHER)).toBeUndefined();
    });
    it('where the per-request cost dominates: whole, by at least WHOLE_READ_MARGIN', () => {
      const learner = new LinkLearner();
      learner.record(OTHER, LINK_80MS); // 1000 bytes/ms
      learner.record(URL, onInstance(600));
      // Chunks: 17 x 600 ms / 3 = 3400 ms. Whole: 600 + 2 MB / 1000 = 2600 ms: not half.
      expect(learner.wholeReadFaster(URL, 20_000, 17, 1024, 3)).toBe(false);
      // One chunk at a time: 10,200 ms against 2600.
      expect(learner.wholeReadFaster(URL, 20_000, 17, 1024, 1)).toBe(true);
      expect(2600 * WHOLE_READ_MARGIN).toBeLessThanOrEqual(10_200);
    });
    it('where the bytes dominate (a slow link), or the server answers each request at once: chunks', () => {
      const learner = new LinkLearner();
      learner.record(OTHER, LINK_80MS);
      learner.record(URL, onInstance(5)); // 17 x 5 ms of server time; 102 ms a chunk's bytes
      expect(learner.wholeReadFaster(URL, 20_000, 17, 1024, 1)).toBe(false);
    });
    /** The same request, sent at `at` (its end at `at` + `firstMs`). */
    const at = (startedAt: number, firstMs: number): typeof LINK_80MS => ({
      ...onInstance(firstMs),
      startedAt,
      firstFrameAt: startedAt + firstMs,
      endedAt: startedAt + firstMs,
    });
    it('counts the pace the chunks came at where the server did not run `slots` of them at once', () => {
      const learner = new LinkLearner();
      learner.record(OTHER, LINK_80MS);
      // The model: 17 x 600 ms / 3 = 3400 ms of chunks against 2 x 2600 whole: chunks.
      learner.record(URL, at(0, 600));
      learner.record(URL, at(600, 600));
      expect(learner.wholeReadFaster(URL, 20_000, 17, 1024, 3)).toBe(false); // two ends: no pace yet
      // Measured: the server answered one after another, a chunk every 600 ms: 10,200 ms.
      learner.record(URL, at(1200, 600));
      expect(learner.wholeReadFaster(URL, 20_000, 17, 1024, 3)).toBe(true);
    });
    it("a pause between two requests is not the server's: the pace counts no slower than one after another", () => {
      const learner = new LinkLearner();
      learner.record(OTHER, LINK_80MS);
      // 5 ms of server time, 102 ms of bytes a chunk; the reader paused 10 s between requests.
      learner.record(URL, at(0, 5));
      learner.record(URL, at(10_000, 5));
      learner.record(URL, at(20_000, 5));
      // At most 17 x (5 + 102) ms = 1.8 s of chunks, against 2 x 2 s whole: chunks.
      expect(learner.wholeReadFaster(URL, 20_000, 17, 1024, 1)).toBe(false);
    });
  });
});

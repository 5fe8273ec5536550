import { describe, expect, it } from 'vitest';
import { LinkLearner } from '../../src/core/link-learner.js';

const URL = 'https://pacs.example/dicom-web/studies/1/series/2/instances/3';

describe('LinkLearner', () => {
  it('learns first-frame time, rate and frame size per origin', () => {
    const learner = new LinkLearner();
    learner.record(URL, {
      startedAt: 0,
      firstFrameAt: 80,
      endedAt: 180,
      frames: 11,
      bytes: 110_000,
      firstFrameBytes: 10_000,
      concurrency: 1,
    });
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

  it('counts a shared link: a request that ran beside another got half of it', () => {
    const learner = new LinkLearner();
    learner.record(URL, {
      startedAt: 0,
      firstFrameAt: 10,
      endedAt: 110,
      frames: 2,
      bytes: 20_000,
      firstFrameBytes: 10_000,
      concurrency: 2,
    });
    expect(learner.estimate(URL)?.bytesPerMs).toBe(200);
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
      concurrency: 1,
    });
    expect(learner.describe()).toEqual([]);
  });

  describe('backgroundSlots()', () => {
    it('is 2 (at most max) before anything is known', () => {
      const learner = new LinkLearner();
      expect(learner.backgroundSlots(URL, 64, 3)).toBe(2);
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
        concurrency: 1,
      });
      expect(slow.backgroundSlots(URL, 64, 3)).toBe(2);
      const loopback = new LinkLearner(); // 2 ms to the first frame: one chunk at a time carries it
      loopback.record(URL, {
        startedAt: 0,
        firstFrameAt: 2,
        endedAt: 7,
        frames: 70,
        bytes: 507_300,
        firstFrameBytes: 7_300,
        concurrency: 1,
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
        concurrency: 1,
      });
      expect(far.backgroundSlots(URL, 64, 3)).toBe(3);
    });
  });
});

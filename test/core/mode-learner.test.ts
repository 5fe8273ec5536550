import { describe, expect, it } from 'vitest';
import { MAX_EXPLORE_FRAMES, MIN_SAMPLE_BYTES, ModeLearner } from '../../src/core/mode-learner.js';
import { URL_A, URL_B, URL_C, makeEngine } from '../helpers/engine.js';

const MiB = 1024 * 1024;
const OTHER_ORIGIN = 'https://other.example/dicom-web/studies/1/series/2/instances/9';

describe('ModeLearner', () => {
  describe('choose()', () => {
    it('starts in block mode: never slower than block mode on an unknown server', () => {
      expect(new ModeLearner().choose(URL_A, 100)).toBe('block');
    });
    it('tries one whole-instance read once it has a block sample, and only one at a time', () => {
      const learner = new ModeLearner();
      learner.record(URL_A, 'block', 4 * MiB, 40);
      expect(learner.choose(URL_B, 100)).toBe('instance'); // same origin
      expect(learner.choose(URL_B, 100)).toBe('block'); // exploring already
      expect(learner.choose(OTHER_ORIGIN, 100)).toBe('block'); // another server knows nothing yet
    });
    it('does not explore with a large instance', () => {
      const learner = new ModeLearner();
      learner.record(URL_A, 'block', 4 * MiB, 40);
      expect(learner.choose(URL_A, MAX_EXPLORE_FRAMES + 1)).toBe('block');
    });
    it('keeps whole-instance mode where it measured clearly faster per byte (no gzip)', () => {
      const learner = new ModeLearner();
      learner.record(URL_A, 'block', 4 * MiB, 40); // 10 ms/MiB
      learner.choose(URL_A, 100);
      learner.record(URL_A, 'instance', 7 * MiB, 28); // 4 ms/MiB
      expect(learner.choose(URL_A, 5000)).toBe('instance');
    });
    it('returns to block mode where whole instances were slower (a server that gzips them)', () => {
      const learner = new ModeLearner();
      learner.record(URL_A, 'block', 4 * MiB, 40);
      learner.choose(URL_A, 100);
      learner.record(URL_A, 'instance', 7 * MiB, 190);
      expect(learner.choose(URL_A, 100)).toBe('block');
      expect(learner.describe(URL_A).instanceMsPerMiB).toBeGreaterThan(learner.describe(URL_A).blockMsPerMiB!);
    });
    it('ignores loads too small to say anything about throughput', () => {
      const learner = new ModeLearner();
      learner.record(URL_A, 'block', MIN_SAMPLE_BYTES - 1, 1);
      expect(learner.choose(URL_A, 100)).toBe('block');
      expect(learner.describe(URL_A)).toEqual({});
    });
  });
});

describe('FrameCacheEngine with wholeInstanceMaxFrames unset', () => {
  it('reads in block mode first, tries a whole instance once, then keeps the faster mode', async () => {
    const big = () => 300 * 1024; // frames large enough to count as samples
    const { engine, source } = makeEngine(
      { framesPerMiss: 4 },
      { frameCounts: { [URL_A]: 8, [URL_B]: 8, [URL_C]: 8 }, frameSize: big, msPerRequest: 50 },
    );
    await engine.getFrame({ url: URL_A, frameCount: 8 }, 1);
    await engine.waitForLoads();
    expect(source.requests.at(-1)?.kind).toBe('frames');
    await engine.getFrame({ url: URL_B, frameCount: 8 }, 1);
    await engine.waitForLoads();
    expect(source.requests.at(-1)?.kind).toBe('instance'); // the one exploration
    // Both took 50 ms per request: the instance moved 8 frames, the block 4, so it was faster per byte.
    await engine.getFrame({ url: URL_C, frameCount: 8 }, 6);
    await engine.waitForLoads();
    expect(source.requests.at(-1)?.kind).toBe('instance');
  });
  it('obeys an explicit threshold as is', async () => {
    const { engine, source } = makeEngine({ wholeInstanceMaxFrames: 10 }, { frameCounts: { [URL_A]: 8 } });
    await engine.getFrame({ url: URL_A, frameCount: 8 }, 1);
    expect(source.requests[0]?.kind).toBe('instance');
  });
});

describe('FrameCacheEngine read-mode trials', () => {
  it('never tries a whole-instance read on an instance already partly read in blocks', async () => {
    const big = () => 300 * 1024;
    const { engine, source } = makeEngine(
      { framesPerMiss: 4 },
      { frameCounts: { [URL_A]: 8 }, frameSize: big, msPerRequest: 50 },
    );
    await engine.getFrame({ url: URL_A, frameCount: 8 }, 1); // block 1..4: the learner's first sample
    await engine.waitForLoads();
    await engine.getFrame({ url: URL_A, frameCount: 8 }, 5); // same instance: still blocks
    await engine.waitForLoads();
    expect(source.requests.map((r) => r.kind)).toEqual(['frames', 'frames']);
  });
});

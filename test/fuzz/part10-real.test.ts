// Property-based fuzzing of the Part 10 reader (readPart10Frames and Part10StreamReader) with
// mutated and truncated REAL instances of the sample slides, pushed in every chunking. The long
// run is `npm run fuzz`.
import { describe, expect, it } from 'vitest';
import { part10Corpus } from './corpus.js';
import { fuzzPart10 } from './properties.js';

describe('readPart10Frames() and Part10StreamReader', () => {
  it('on mutated real files: the real frames or FrameCacheError(part10), frames inside the input, same for every chunking', () => {
    const corpus = part10Corpus();
    const outcomes = { cases: 0, failed: 0, checked: 0, oracle: 0 };
    fuzzPart10(corpus, {
      numRuns: 1500,
      seed: 7002,
      timeLimitMs: 170_000,
      onCase: (o) => {
        outcomes.cases++;
        if (o.failed) outcomes.failed++;
        outcomes.checked += o.checkedAgainstOriginal;
        if (o.oracleAgreed) outcomes.oracle++;
      },
    });
    expect(outcomes.cases).toBe(1500);
    // Both outcomes occur, and real parts / frames are checked: the corpus and mutations reach the parser.
    expect(outcomes.failed).toBeGreaterThan(100);
    expect(outcomes.failed).toBeLessThan(1500);
    expect(outcomes.checked).toBeGreaterThan(500);
    // Every successful parse met the independent oracle (dicom-parser); most were confirmed by it.
    expect(outcomes.oracle).toBeGreaterThan((outcomes.cases - outcomes.failed) / 2);
  }, 180_000); // CPU-bound: slow on a loaded shared machine
});

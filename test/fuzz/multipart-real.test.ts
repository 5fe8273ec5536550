// Property-based fuzzing of the multipart parser (one-shot and streaming) with mutated and
// truncated REAL answers in Orthanc's form, pushed in every chunking. The long run is `npm run fuzz`.
import { describe, expect, it } from 'vitest';
import { multipartCorpus } from './corpus.js';
import { fuzzMultipart } from './properties.js';

describe('parseMultipartRelated() and MultipartStreamParser', () => {
  it('on mutated real answers: correct parts or FrameCacheError(multipart), views inside the input, same for every chunking', () => {
    const corpus = multipartCorpus();
    const outcomes = { cases: 0, failed: 0, checked: 0, oracle: 0 };
    fuzzMultipart(corpus, {
      numRuns: 1500,
      seed: 7001,
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
    // Every successful parse met the independent oracle (reference splitter); most were confirmed by it.
    expect(outcomes.oracle).toBeGreaterThan((outcomes.cases - outcomes.failed) / 2);
  }, 180_000); // CPU-bound: slow on a loaded shared machine
});

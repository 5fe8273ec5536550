// Property-based fuzzing of the multipart parser (one-shot and streaming) with mutated and
// truncated REAL answers in Orthanc's form, pushed in every chunking. The long run is `npm run fuzz`.
import { describe, expect, it } from 'vitest';
import { multipartCorpus } from './corpus.js';
import { checkMultipartCase, fuzzMultipart } from './properties.js';

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

  it("agrees with the oracle where a part's headers run straight into the next delimiter (npm run fuzz -- --seed 1233984403, case 29449)", () => {
    // The mutations leave part 3 as its header lines, the empty line, then the close delimiter:
    // the product reads an empty body, as RFC 2046 does (the CRLF belongs to the delimiter); the
    // oracle read the empty line's CRLF as the body until 2026-12-06.
    const outcome = checkMultipartCase(multipartCorpus(), {
      sample: 0,
      mutations: [
        { kind: 'flip', at: 66137, bit: 1 },
        { kind: 'flip', at: 44635, bit: 5 },
        { kind: 'copy', from: 69002, length: 82, at: 44845 },
        { kind: 'insert', at: 44820, bytes: [150, 82] },
      ],
      cuts: [44729, 69004, 242, 48035, 44733, 44561, 272, 58716, 26614],
      byteByByte: false,
    });
    expect(outcome).toMatchObject({ failed: false, delivered: 3, oracleAgreed: true });
  });
});

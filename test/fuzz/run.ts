/**
 * The long fuzz run behind `npm run fuzz` (scripts/fuzz.mjs loads this through Vite's module
 * runner): the properties of properties.ts over the real corpus, `runs` cases per target.
 */
import { multipartCorpus, part10Corpus } from './corpus.js';
import { fuzzMultipart, fuzzPart10, type CaseOutcome } from './properties.js';

export interface TargetReport {
  target: string;
  samples: string[];
  cases: number;
  parserErrors: number;
  delivered: number;
  checkedAgainstOriginal: number;
  ms: number;
}

export function runLongFuzz(options: { runs: number; seed: number; onCase: () => void; log: (line: string) => void }): TargetReport[] {
  const targets = [
    { target: 'multipart (parseMultipartRelated + MultipartStreamParser)', samples: () => multipartCorpus(), run: fuzzMultipart },
    { target: 'part10 (readPart10Frames + Part10StreamReader)', samples: () => part10Corpus(), run: fuzzPart10 },
  ] as const;
  const reports: TargetReport[] = [];
  targets.forEach(({ target, samples, run }, i) => {
    const corpus = samples();
    const report: TargetReport = { target, samples: corpus.map((s) => s.name), cases: 0, parserErrors: 0, delivered: 0, checkedAgainstOriginal: 0, ms: 0 };
    options.log(`[fuzz] ${target}: ${options.runs} cases over ${corpus.length} real bodies (${report.samples.join(', ')}), seed ${options.seed + i}`);
    const started = performance.now();
    const onCase = (outcome: CaseOutcome): void => {
      report.cases++;
      if (outcome.failed) report.parserErrors++;
      report.delivered += outcome.delivered;
      report.checkedAgainstOriginal += outcome.checkedAgainstOriginal;
      options.onCase();
      if (report.cases % 10000 === 0) options.log(`[fuzz]   ${report.cases} cases`);
    };
    // Both runners take the same arguments; the corpus type follows the target.
    (run as (c: typeof corpus, r: { numRuns: number; seed: number; onCase: typeof onCase }) => void)(corpus, { numRuns: options.runs, seed: options.seed + i, onCase });
    report.ms = performance.now() - started;
    reports.push(report);
  });
  return reports;
}

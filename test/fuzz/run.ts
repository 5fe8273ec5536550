/**
 * The long fuzz run behind `npm run fuzz` (scripts/fuzz.mjs loads this through Vite's module
 * runner): the properties of properties.ts over the real corpus, and the source + engine path
 * of engine-path.ts, `runs` cases per target.
 */
import { multipartCorpus, part10Corpus } from './corpus.js';
import { fuzzEnginePath } from './engine-path.js';
import { fuzzMultipart, fuzzPart10, type CaseOutcome } from './properties.js';

export interface TargetReport {
  target: string;
  samples: string[];
  cases: number;
  parserErrors: number;
  delivered: number;
  checkedAgainstOriginal: number;
  oracleAgreed: number;
  oracleRefused: number;
  ms: number;
}

export async function runLongFuzz(options: {
  runs: number;
  seed: number;
  only?: string;
  onCase: () => void;
  log: (line: string) => void;
}): Promise<TargetReport[]> {
  const all = [
    {
      target: 'multipart (parseMultipartRelated + MultipartStreamParser)',
      samples: () => multipartCorpus(),
      run: fuzzMultipart,
    },
    { target: 'part10 (readPart10Frames + Part10StreamReader)', samples: () => part10Corpus(), run: fuzzPart10 },
  ] as const;
  const targets = all.filter(({ target }) => options.only === undefined || target.startsWith(options.only));
  const reports: TargetReport[] = [];
  targets.forEach(({ target, samples, run }, i) => {
    const corpus = samples();
    const report: TargetReport = {
      target,
      samples: corpus.map((s) => s.name),
      cases: 0,
      parserErrors: 0,
      delivered: 0,
      checkedAgainstOriginal: 0,
      oracleAgreed: 0,
      oracleRefused: 0,
      ms: 0,
    };
    options.log(
      `[fuzz] ${target}: ${options.runs} cases over ${corpus.length} real bodies (${report.samples.join(', ')}), seed ${options.seed + i}`,
    );
    const started = performance.now();
    const onCase = (outcome: CaseOutcome): void => {
      report.cases++;
      if (outcome.failed) report.parserErrors++;
      report.delivered += outcome.delivered;
      report.checkedAgainstOriginal += outcome.checkedAgainstOriginal;
      if (outcome.oracleAgreed) report.oracleAgreed++;
      if (outcome.oracleRefused) report.oracleRefused++;
      options.onCase();
      if (report.cases % 10000 === 0) options.log(`[fuzz]   ${report.cases} cases`);
    };
    // Both runners take the same arguments; the corpus type follows the target.
    (run as (c: typeof corpus, r: { numRuns: number; seed: number; onCase: typeof onCase }) => void)(corpus, {
      numRuns: options.runs,
      seed: options.seed + i,
      onCase,
    });
    report.ms = performance.now() - started;
    reports.push(report);
  });
  if (options.only !== undefined && !'source + engine'.startsWith(options.only)) return reports;
  const engine: TargetReport = {
    target: 'source + engine (FrameCacheEngine over a fake server)',
    samples: ['frames and instance answers of the 4-frame JPEG instance'],
    cases: 0,
    parserErrors: 0,
    delivered: 0,
    checkedAgainstOriginal: 0,
    oracleAgreed: 0,
    oracleRefused: 0,
    ms: 0,
  };
  const seed = options.seed + all.length;
  options.log(`[fuzz] ${engine.target}: ${options.runs} cases, seed ${seed}`);
  const started = performance.now();
  await fuzzEnginePath({
    numRuns: options.runs,
    seed,
    onCase: (outcome) => {
      engine.cases++;
      if (outcome.rejected) engine.parserErrors++;
      engine.delivered += outcome.returned;
      engine.checkedAgainstOriginal += outcome.returned - outcome.asSent - outcome.unjudged;
      engine.oracleAgreed += outcome.asSent;
      engine.oracleRefused += outcome.unjudged;
      options.onCase();
      if (engine.cases % 10000 === 0) options.log(`[fuzz]   ${engine.cases} cases`);
    },
  });
  engine.ms = performance.now() - started;
  reports.push(engine);
  return reports;
}

// How sure a ratio of two peers is, from runs that ran side by side (issue 11, "numbers a reader
// can trust"). The bench alternates its peers run by run, so run i of one peer and run i of the
// other met the same state of a 2-core machine that Orthanc and Chromium share: their ratio per
// round cancels what the round shared, which a ratio of two medians does not. The median of the
// per-round ratios, and a 95% percentile bootstrap interval around it (the rounds resampled with
// replacement), seeded, so the same runs always print the same interval (docs/benchmarks.md,
// "Intervals").
import { median, mulberry32 } from '../bench-runner.mjs';

/**
 * The ratio a / b over the rounds where both have a finite, positive run: the median of the
 * per-round ratios and its 95% bootstrap interval. `n` is how many rounds paired; with fewer
 * than 5 the interval is not given (NaN): a handful of rounds says nothing about its spread.
 * @param {readonly (number | undefined)[]} a  run i of one peer (undefined: no run that round)
 * @param {readonly (number | undefined)[]} b  run i of the other
 * @param {{ resamples?: number, seed?: number }} [options]
 * @returns {{ ratio: number, low: number, high: number, n: number }}
 */
export function pairedRatio(a, b, { resamples = 4000, seed = 1 } = {}) {
  /** @type {number[]} */
  const per = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y) && x > 0 && y > 0)
      per.push(x / y);
  }
  const n = per.length;
  const ratio = median(per);
  if (n < 5) return { ratio, low: Number.NaN, high: Number.NaN, n };
  const random = mulberry32(seed);
  const medians = new Float64Array(resamples);
  /** @type {number[]} */
  const sample = per.slice();
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) sample[i] = per[Math.floor(random() * n)];
    medians[r] = median(sample);
  }
  medians.sort();
  const at = (/** @type {number} */ q) =>
    /** @type {number} */ (medians[Math.min(resamples - 1, Math.floor(q * resamples))]);
  return { ratio, low: at(0.025), high: at(0.975), n };
}

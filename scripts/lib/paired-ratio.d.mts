// Types for paired-ratio.mjs.
export function pairedRatio(
  a: readonly (number | undefined)[],
  b: readonly (number | undefined)[],
  options?: { resamples?: number; seed?: number },
): { ratio: number; low: number; high: number; n: number };

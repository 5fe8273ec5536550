// Types for check-cycles.mjs.

/** Import cycles among the .ts files under `roots` (relative to the repository, or absolute). */
export function findCycles(roots?: readonly string[]): { fileCount: number; cycles: string[][] };

// Types for bench-docs.mjs.
export function readmeFragment(results: Record<string, any>): string;
export function benchmarksPage(results: Record<string, any>): string;

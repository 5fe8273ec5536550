// Types for bench-goals.mjs.
export interface Paired {
  ratio: number;
  low: number;
  high: number;
  n: number;
}
export interface Goal {
  id: string;
  goal: string;
  where: string;
  measured: string;
  value: number | null;
  limit: number;
  met: boolean | null;
  /** The same ratio round by round, with its 95% interval. */
  paired?: Paired;
  /** That ratio for the goal's floor peer (the work the module cannot skip on the same hops). */
  floor?: Paired & { peer: string };
  /** The floor itself misses the limit. */
  floorBound?: boolean;
}
export function evaluateGoals(results: Record<string, any>): Goal[];
export function pairedOf(a: unknown, b: unknown, field: string): Paired;
export function ratio(a: unknown, b: unknown): number;
export function hitRatio(key: string, hits: unknown): number;
export function num(value: unknown, digits?: number): string;
export function times(value: number): string;

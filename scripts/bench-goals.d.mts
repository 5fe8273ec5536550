// Types for bench-goals.mjs.
export interface Goal {
  id: string;
  goal: string;
  where: string;
  measured: string;
  value: number | null;
  limit: number;
  met: boolean | null;
}
export function evaluateGoals(results: Record<string, any>): Goal[];
export function ratio(a: unknown, b: unknown): number;
export function hitRatio(key: string, hits: unknown): number;
export function num(value: unknown, digits?: number): string;
export function times(value: number): string;

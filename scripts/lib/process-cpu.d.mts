// Types for process-cpu.mjs.

export type CpuSnapshot = Map<string, { group: string; ns: number }>;
/** CPU nanoseconds of every Orthanc and Chromium thread, keyed "pid/tid", with its group. */
export function cpuSnapshot(): CpuSnapshot;
/** CPU milliseconds per group between two snapshots. */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot): Record<string, number>;

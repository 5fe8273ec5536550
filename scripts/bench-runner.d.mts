// Types for bench-runner.mjs: what the tests import of it.

/** The peers in the order of one round: as listed in round 0, then shuffled by a fixed seed per round. */
export function roundOrder<T>(peers: T[], round: number): T[];

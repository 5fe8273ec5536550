// Types for link-pacer.mjs.
import type { LinkClock } from './link-proxy.mjs';

export interface Piece {
  bytes: number;
  send(): void;
  dropped?(): boolean;
}
export const REAL_CLOCK: LinkClock;
export interface Pacer {
  chunkBytes: number;
  counters: { pieces: number; bytes: number; waits: number; waitedMs: number; dropped: number };
  readonly pending: number;
  push(piece: Piece): void;
  pushBody(buffer: Buffer, write: (chunk: Buffer) => void, dropped?: () => boolean): void;
}
export function createPacer(options: { bitsPerSecond: number; chunkBytes?: number; clock?: LinkClock }): Pacer;

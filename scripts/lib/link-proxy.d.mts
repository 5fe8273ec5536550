// Types for link-proxy.mjs and link-pacer.mjs.
export interface LinkClock {
  now(): number;
  schedule(ms: number, fn: () => void): void;
}
export interface LinkProfile {
  rttMs: number;
  megabitsPerSecond: number;
}
export const LINK_PROFILES: Readonly<Record<'loopback' | '20ms-200mbit' | '80ms-40mbit', LinkProfile | undefined>>;
export function makeSelfSignedCertificate(): { key: Buffer; cert: Buffer };
export interface LinkProxy {
  url: string;
  port: number;
  rttMs: number;
  megabitsPerSecond: number;
  counters: { requests: number; http2: number; delayed: number; forwarded: number; answered: number; aborted: number };
  pacer: {
    chunkBytes: number;
    pending: number;
    counters: { pieces: number; bytes: number; waits: number; waitedMs: number; dropped: number };
  };
  stop(): Promise<void>;
}
export function startLinkProxy(options: {
  target: string;
  rttMs: number;
  megabitsPerSecond: number;
  chunkBytes?: number;
  clock?: LinkClock;
  certificate?: { key: Buffer; cert: Buffer };
}): Promise<LinkProxy>;

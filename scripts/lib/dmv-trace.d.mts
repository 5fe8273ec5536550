// Types for dmv-trace.mjs.
import type { Page } from 'playwright-core';

export interface DmvSettled {
  /** performance.now() of the page when the view was complete. */
  at: number;
  moves: number;
  tiles: {
    started: number;
    ended: number;
    failed: number;
    firstStartedAt: number | undefined;
    lastEndedAt: number | undefined;
  };
}

export const DMV_ZOOMS: number;
export const DMV_PANS: number;
export const DMV_STALL_MS: number;
export function dmvUrl(
  origin: string,
  series: { studyInstanceUid: string; seriesInstanceUid: string },
  serviceWorker: boolean,
): string;
export function openDmv(page: Page, url: string, stallMs?: number): Promise<DmvSettled>;
export function runDmvSteps(
  page: Page,
  options?: { stallMs?: number; afterStep?: (index: number) => Promise<void> },
): Promise<number[]>;

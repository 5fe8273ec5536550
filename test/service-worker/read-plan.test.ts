import { describe, expect, it } from 'vitest';
import type { LinkEstimate } from '../../src/core/link-learner.js';
import {
  CHUNK_FIRST_BUDGET_MS,
  SERVICE_WORKER_CHUNK_FRAMES,
  UNMEASURED_CHUNK_FIRST_FRAMES,
  choosePlan,
  chunkLengthOf,
} from '../../src/service-worker/read-plan.js';

/** A link of `bytesPerMs`, `firstFrameMs` and 10,000-byte frames. */
const link = (bytesPerMs: number, firstFrameMs = 20): LinkEstimate => ({
  origin: 'https://pacs.example',
  samples: 3,
  firstFrameMs,
  minFirstFrameMs: firstFrameMs,
  bytesPerMs,
  meanFrameBytes: 10_000,
});

describe('chunkLengthOf()', () => {
  it('gives the frames of the aligned chunk holding a frame, the last chunk cut at the frame count', () => {
    expect(chunkLengthOf(1, 768, 1024)).toBe(768);
    expect(chunkLengthOf(1024, 5000, 1024)).toBe(1024);
    expect(chunkLengthOf(1025, 5000, 1024)).toBe(1024);
    expect(chunkLengthOf(4097, 5000, 1024)).toBe(904);
    expect(chunkLengthOf(1, 1, 1024)).toBe(1);
  });

  it('keeps frame lists of a chunk under 8 KB of URL for frame numbers up to 7 digits', () => {
    expect(SERVICE_WORKER_CHUNK_FRAMES * '1000000,'.length).toBeLessThan(8 * 1024 + 1);
  });
});

describe('choosePlan()', () => {
  it('reads a chunk no longer than the request as the chunk', () => {
    expect(choosePlan(1, 1, undefined)).toBe('chunk');
    expect(choosePlan(4, 4, link(1))).toBe('chunk');
  });

  it('reads short chunks first before the link is measured, long ones after a request of the tiles', () => {
    expect(choosePlan(UNMEASURED_CHUNK_FIRST_FRAMES, 1, undefined)).toBe('chunk');
    expect(choosePlan(UNMEASURED_CHUNK_FIRST_FRAMES + 1, 1, undefined)).toBe('visible');
    expect(choosePlan(UNMEASURED_CHUNK_FIRST_FRAMES + 1, 1, { ...link(0) })).toBe('visible');
  });

  it('reads the chunk first while its extra bytes take at most the budget on the measured link', () => {
    // 10,000-byte frames at 10,000 bytes/ms: 1 ms per extra frame.
    expect(choosePlan(CHUNK_FIRST_BUDGET_MS + 1, 1, link(10_000))).toBe('chunk');
    expect(choosePlan(CHUNK_FIRST_BUDGET_MS + 2, 1, link(10_000))).toBe('visible');
    // Twice the rate: twice the frames.
    expect(choosePlan(2 * CHUNK_FIRST_BUDGET_MS + 1, 1, link(20_000))).toBe('chunk');
  });

  it('allows one first-frame time of the link where that is longer than the budget', () => {
    const slow = link(10_000, 3 * CHUNK_FIRST_BUDGET_MS);
    expect(choosePlan(3 * CHUNK_FIRST_BUDGET_MS + 1, 1, slow)).toBe('chunk');
    expect(choosePlan(3 * CHUNK_FIRST_BUDGET_MS + 2, 1, slow)).toBe('visible');
  });
});

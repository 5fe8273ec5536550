// Fuzz of the source + engine path through the public FrameCacheEngine over a fake server that
// sends mutated real answers: a frame returned or kept is the real frame of its number, or
// undefined, never another frame. The long run is `npm run fuzz`.
import { describe, expect, it } from 'vitest';
import { fuzzEnginePath, type ReadMode } from './engine-path.js';

describe('FrameCacheEngine over mutated multipart answers', () => {
  it('returns and keeps only the real frame of each number, or undefined', async () => {
    const seen = {
      asSent: 0,
      unjudged: 0,
      cases: 0,
      requests: 0,
      returned: 0,
      cached: 0,
      partial: 0,
      modes: new Set<ReadMode>(),
      changes: new Set<string>(),
    };
    await fuzzEnginePath({
      numRuns: 400,
      seed: 7003,
      onCase: (o, input) => {
        seen.cases++;
        seen.requests += o.requests;
        seen.returned += o.returned;
        seen.asSent += o.asSent;
        seen.unjudged += o.unjudged;
        seen.cached += o.cached;
        if (o.returned > 0 && o.returned < 4) seen.partial++;
        seen.modes.add(input.mode);
        seen.changes.add(input.change.kind);
      },
    });
    expect(seen.cases).toBe(400);
    // The fake server was asked, frames came back, and some answers were only partly usable:
    // the property was exercised both ways, in every read mode and with every part-level change.
    expect(seen.requests).toBeGreaterThanOrEqual(400);
    expect(seen.returned).toBeGreaterThan(400);
    expect(seen.partial).toBeGreaterThan(5);
    expect([...seen.modes].sort()).toEqual(['block', 'instance', 'latency']);
    expect(seen.changes.size).toBe(5);
  }, 120_000);
});

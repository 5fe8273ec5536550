// The goals of issue 11 as `npm run bench` computes them from a run's medians
// (scripts/bench-goals.mjs): the right peers compared, the limits applied, unmeasured goals null.
import { describe, expect, it } from 'vitest';
import { evaluateGoals } from '../../scripts/bench-goals.mjs';

const peer = (median: Record<string, number>) => ({ label: 'x', runs: [], median });

function traceProfile(defaults: Record<string, number>) {
  return {
    link: { rttMs: 80, megabitsPerSecond: 40 },
    peers: {
      tile: peer({ firstViewMs: 900, sumViewMs: 16_000, laterMedianMs: 300 }),
      view: peer({ firstViewMs: 200, sumViewMs: 4_000, laterMedianMs: 100 }),
      default: peer(defaults),
    },
  };
}

describe('bench goals (issue 11)', () => {
  it('compares the default trace with one request per view and per-tile requests', () => {
    const goals = evaluateGoals({
      trace: { views: 30 },
      links: {
        profiles: {
          loopback: traceProfile({ firstViewMs: 210, sumViewMs: 3_000, laterMedianMs: 0.2, waitedViews: 1 }),
          '80ms-40mbit': traceProfile({ firstViewMs: 230, sumViewMs: 1_500, laterMedianMs: 7, waitedViews: 4 }),
        },
      },
    });
    const find = (id: string, where: string) => goals.find((g) => g.id === id && g.where === `trace, ${where}`);
    expect(find('first-view', 'loopback')).toMatchObject({ value: 1.05, met: true });
    expect(find('first-view', '80ms-40mbit')).toMatchObject({ value: 1.15, met: false });
    expect(find('later-views', 'loopback')?.met).toBe(true);
    expect(find('later-views', '80ms-40mbit')?.met).toBe(false);
    // Only the slow links carry the total-time goals.
    expect(find('trace-vs-view', 'loopback')).toBeUndefined();
    expect(find('trace-vs-view', '80ms-40mbit')).toMatchObject({ value: 0.375, met: true });
    expect(find('trace-vs-tile', '80ms-40mbit')).toMatchObject({ value: 16_000 / 1_500, met: true });
  });

  it('checks the cold read, the scale level and the hit path; unmeasured figures give met: null', () => {
    const goals = evaluateGoals({
      configs: {
        on: {
          cold: {
            default: peer({ ms: 130, firstMs: 20 }),
            'e-default': peer({ ms: 100 }),
            b: peer({ ms: 120 }),
            single: peer({ ms: 10 }),
          },
          scale: {
            'scale-1k': { peers: { default: peer({ usPerFrame: 10 }) } },
            'scale-50k': { peers: { default: peer({ usPerFrame: 19 }) } },
          },
        },
      },
      hits: {
        default: {
          workerHitUs: { p50: 130 },
          sharedEchoUs: { p50: 100 },
          rawEchoUs: { p50: 80 },
          batch16PerFrameUs: { p50: 50 },
        },
        dedicated: { workerHitUs: { p50: 100 }, rawEchoUs: { p50: 80 }, batch16PerFrameUs: {} },
      },
    });
    const byId = (id: string) => goals.filter((g) => g.id === id);
    expect(byId('cold-floor')[0]).toMatchObject({ value: 1.3, met: false });
    expect(byId('cold-dwc')[0]?.met).toBe(false);
    expect(byId('first-tile')[0]).toMatchObject({ value: 2, met: false });
    expect(byId('scale')[0]).toMatchObject({ value: 1.9, met: true });
    expect(byId('hit-dedicated')[0]).toMatchObject({ value: 1.25, met: true });
    expect(byId('hit-shared')[0]).toMatchObject({ value: 1.3, met: false });
    expect(byId('getframes-16').map((g) => g.met)).toEqual([true, null]);
  });
});

// The goals of issue 11 as `npm run bench` computes them from a run's medians
// (scripts/bench-goals.mjs): the right peers compared, the limits applied, unmeasured goals null.
import { describe, expect, it } from 'vitest';
import { readmeFragment } from '../../scripts/bench-docs.mjs';
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
            'default-learned': peer({ ms: 110 }),
            'e-learned': peer({ ms: 100 }),
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
          sharedBatchCopyPerFrameUs: { p50: 144 },
        },
        dedicated: {
          workerHitUs: { p50: 100 },
          rawEchoUs: { p50: 80 },
          copyEchoUs: { p50: 96 },
          batch16PerFrameUs: {},
          repeatRatios: [1.4, 1.25, 1.1],
        },
      },
    });
    const byId = (id: string) => goals.filter((g) => g.id === id);
    expect(byId('cold-floor')[0]).toMatchObject({ value: 1.3, met: false });
    expect(byId('cold-dwc')[0]?.met).toBe(false);
    // The warm worker's figure is told, not judged: the goal stays the fresh read's.
    expect(byId('cold-floor')[0]?.measured).toContain(
      "a warm worker (the page's third read) 110 ms, 1.1x its raw floor (100 ms)",
    );
    expect(byId('cold-dwc')[0]?.measured).toContain("a warm worker (the page's third read) 110 ms, 0.92x (b)");
    expect(byId('first-tile')[0]).toMatchObject({ value: 2, met: false });
    expect(byId('scale')[0]).toMatchObject({ value: 1.9, met: true });
    expect(byId('hit-dedicated')[0]).toMatchObject({ value: 1.25, met: true });
    // Its floor is the echo of a fresh copy (a hit hands out a copy): 96 / 80 µs, within 1.5x.
    expect(byId('hit-dedicated')[0]).toMatchObject({ floorBound: false, floor: { ratio: 1.2, n: 0 } });
    expect(byId('hit-shared')[0]).toMatchObject({ value: 1.3, met: false });
    expect(byId('getframes-16').map((g) => g.met)).toEqual([true, null]);
    // Its floor (144 µs) misses the 60 µs limit: the goal says so.
    expect(byId('getframes-16')[0]).toMatchObject({ floorBound: true, floor: { ratio: 144, n: 0 } });
    // The floors measured beside them are named in the measured text.
    expect(byId('getframes-16')[0]?.measured).toContain(
      'floor: 1 MiB copied into memory made ready ahead and sent from that worker 144',
    );
    expect(byId('hit-dedicated')[0]?.measured).toContain(
      'a fresh copy from a Worker, asked for: 96 µs (1.2x the echo)',
    );
    // A full run's repeats of the hit path are named beside the median one it reports.
    expect(byId('hit-dedicated')[0]?.measured).toContain('the median of 3 runs (1.4x, 1.3x, 1.1x)');
    expect(byId('hit-shared')[0]?.measured).not.toContain('median');
  });

  it('gives each ratio round by round with its interval, and says when the floor itself misses the goal', () => {
    // Ten rounds: the trace's 3 runs, then runs of the first view alone (rounds 3-9).
    const rounds = Array.from({ length: 10 }, (_, round) => round);
    const drift = (round: number) => 1 + (round % 4) * 0.3; // the machine's state, shared by a round
    const samples = (factor: number) => {
      const all = rounds.map((round) => ({ round, firstViewMs: 40 * factor * drift(round) }));
      return { label: 'x', runs: all.slice(0, 3), firstViewOnly: all.slice(3), median: { firstViewMs: 40 * factor } };
    };
    const goals = evaluateGoals({
      trace: { views: 30 },
      links: {
        profiles: {
          loopback: {
            link: null,
            peers: { view: samples(1), 'view-sw-frames': samples(1.15), default: samples(1.2) },
          },
        },
      },
      configs: {
        on: {
          cold: {
            default: {
              label: 'x',
              median: { ms: 110 },
              runs: rounds.map((round) => ({ round, ms: 110 * drift(round) })),
            },
            'e-default': {
              label: 'x',
              median: { ms: 100 },
              runs: rounds.map((round) => ({ round, ms: 100 * drift(round) })),
            },
            // A floor run missing in round 0: only the rounds both have are paired.
            'e-sw-frames': {
              label: 'x',
              median: { ms: 105 },
              runs: rounds.slice(1).map((round) => ({ round, ms: 105 * drift(round) })),
            },
          },
        },
      },
    });
    const first = goals.find((g) => g.id === 'first-view');
    expect(first?.paired).toMatchObject({ n: 10 });
    expect(first?.paired?.ratio).toBeCloseTo(1.2, 10);
    expect(first?.floor?.ratio).toBeCloseTo(1.15, 10);
    expect(first).toMatchObject({ met: false, floorBound: true });
    expect(first?.measured).toContain('round by round 1.20x (95% 1.20-1.20x, 10 rounds)');
    expect(first?.measured).toContain('its floor (SharedWorker with the unavoidable work) 1.15x');
    const cold = goals.find((g) => g.id === 'cold-floor');
    expect(cold?.paired?.n).toBe(10);
    expect(cold?.floor).toMatchObject({ n: 9 });
    expect(cold?.floor?.ratio).toBeCloseTo(1.05, 10);
    // The floor is within 1.2x: the miss (1.1x here is met) would be the module's own.
    expect(cold).toMatchObject({ met: true, floorBound: false });
  });

  it('the README fragment counts the misses whose floor misses too', () => {
    const goal = (met: boolean, floorBound?: boolean) => ({
      id: 'x',
      goal: 'x',
      where: 'x',
      measured: 'x',
      value: 1,
      limit: 1,
      met,
      ...(floorBound === undefined ? {} : { floorBound }),
    });
    const text = readmeFragment({
      date: '2026-12-06T00:00:00.000Z',
      full: true,
      machine: {},
      goals: [goal(true), goal(false, true), goal(false, false), goal(false)],
    });
    expect(text).toContain(
      "1 of 4 met in this run, 3 not met (1 of them where the goal's floor, measured beside it or for the per-tile goal a bound computed from one request per view, misses the goal too)",
    );
  });

  it('the README fragment gives the first view run count and the SharedWorker floor row', () => {
    const profile = traceProfile({ firstViewMs: 230, sumViewMs: 1_500, laterMedianMs: 0.1 });
    const peers = { ...profile.peers, 'view-sw': peer({ firstViewMs: 220, sumViewMs: 3_900, laterMedianMs: 90 }) };
    // Eight first views per peer (3 traces + 5 alone), one peer's extra run failed.
    const counted = Object.fromEntries(
      Object.entries(peers).map(([key, p]) => [key, { ...p, firstViewSamples: key === 'tile' ? 7 : 8 }]),
    );
    const withFloor = { ...profile, peers: counted };
    const text = readmeFragment({
      date: '2026-12-05T00:00:00.000Z',
      full: true,
      machine: {},
      trace: { views: 30, tiles: 359 },
      links: { runs: 3, firstViewRuns: 5, pauseMs: 150, profiles: { '80ms-40mbit': withFloor } },
    });
    expect(text).toContain('median of 3, first view and cold page of 7-8');
    const row = text.split('\n').find((line) => line.includes('the same, sent from a SharedWorker'));
    expect(row).toContain('1.1x the time / 4.1x faster'); // 220 / 200 ms; 16000 / 3900 ms
  });

  it("says when the dedicated hit's copy floor itself misses its limit", () => {
    const goals = evaluateGoals({
      hits: { dedicated: { workerHitUs: { p50: 160 }, rawEchoUs: { p50: 100 }, copyEchoUs: { p50: 165 } } },
    });
    const hit = goals.find((g) => g.id === 'hit-dedicated');
    expect(hit).toMatchObject({ met: false, floorBound: true, floor: { ratio: 1.65 } });
    // Without the copy floor measured, the goal has no floor to judge it by.
    const bare = evaluateGoals({ hits: { dedicated: { workerHitUs: { p50: 160 }, rawEchoUs: { p50: 100 } } } });
    expect(bare.find((g) => g.id === 'hit-dedicated')).not.toHaveProperty('floorBound');
  });
});

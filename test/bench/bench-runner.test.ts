// The cold read's peer order (scripts/bench-runner.mjs roundOrder): the listed order in the
// warm-up round, then a shuffle per round that is a permutation, the same on every rerun, and
// does not keep a peer behind the same neighbour.
import { describe, expect, it } from 'vitest';
import { roundOrder } from '../../scripts/bench-runner.mjs';

const peers = ['a', 'b', 'default', 'learned', 'c', 'd', 'dedicated', 'e', 'e1', 'e2', 'single'];

describe('roundOrder', () => {
  it('keeps the listed order in the warm-up round (a floor comes after the peer it replays)', () => {
    expect(roundOrder(peers, 0)).toEqual(peers);
  });

  it('shuffles each later round into a permutation, the same on a rerun', () => {
    for (let round = 1; round <= 11; round++) {
      const order = roundOrder(peers, round);
      expect([...order].sort()).toEqual([...peers].sort());
      expect(roundOrder(peers, round)).toEqual(order);
    }
    expect(roundOrder(peers, 1)).not.toEqual(roundOrder(peers, 2));
  });

  it('puts the default peer behind more than one neighbour over 11 rounds', () => {
    const before = new Set<string>();
    for (let round = 1; round <= 11; round++) {
      const order = roundOrder(peers, round);
      const at = order.indexOf('default');
      before.add(at === 0 ? '(first)' : order[at - 1]!);
    }
    expect(before.size).toBeGreaterThan(3);
  });
});

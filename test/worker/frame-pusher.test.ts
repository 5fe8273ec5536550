// The frame pusher sends a tab the frames of the instances it reads, except those the tab has a
// call for right now: the call's answer carries them (docs/worker-cost.md, "The first view's
// frames crossed twice").
import { describe, expect, it } from 'vitest';
import { FramePusher } from '../../src/worker/frame-pusher.js';
import type { FrameCacheEngine } from '../../src/platform/frame-cache-engine.js';
import type { FramePacket } from '../../src/shared/protocol.js';

type Listener = (url: string, frameNumber: number, bytes: Uint8Array) => void;
const URL = 'http://archive.test/studies/1/series/2/instances/3';

function setup() {
  let admit: Listener = () => undefined;
  const engine = {
    onAdmission: (listener: Listener) => {
      admit = listener;
      return () => undefined;
    },
  } as unknown as FrameCacheEngine;
  const packets: FramePacket[] = [];
  let wake: () => void = () => undefined;
  const pusher = new FramePusher(engine, (packet) => {
    packets.push(packet);
    wake();
  });
  const nextPacket = () => new Promise<FramePacket>((resolve) => (wake = () => resolve(packets.at(-1)!)));
  /** Admits `frames` (in order) and resolves with the frame numbers of the packet they caused. */
  const pushedAfterAdmitting = async (...frames: number[]) => {
    const packet = nextPacket();
    for (const n of frames) admit(URL, n, new Uint8Array([n, n, n]));
    return (await packet).frames.map(([, n]) => n);
  };
  return { pusher, pushedAfterAdmitting };
}

describe('FramePusher', () => {
  it('does not push a frame the tab has a call for; pushes it again once the call settled', async () => {
    const { pusher, pushedAfterAdmitting } = setup();
    pusher.watch(URL);
    const release = pusher.answering(URL, [1, 2]);
    expect(await pushedAfterAdmitting(1, 2, 3)).toEqual([3]);
    release();
    expect(await pushedAfterAdmitting(1)).toEqual([1]);
  });

  it('counts overlapping calls: a frame stays held until the last call for it settles', async () => {
    const { pusher, pushedAfterAdmitting } = setup();
    pusher.watch(URL);
    const first = pusher.answering(URL, [5]);
    const second = pusher.answering(URL, [5, 6]);
    first();
    expect(await pushedAfterAdmitting(5, 7)).toEqual([7]);
    second();
    expect(await pushedAfterAdmitting(5, 6)).toEqual([5, 6]);
  });
});

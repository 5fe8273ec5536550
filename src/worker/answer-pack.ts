/**
 * Shared mode's frame-channel answers: the getFrame answers that leave in one message have their
 * bytes copied once, straight from the cache, into one transferred buffer, each answer naming its
 * slice of it (protocol.ts FramesMessage). A SharedWorker's message crosses processes, and there
 * each transferred buffer costs: measured in Chromium (docs/worker-cost.md, "Answers across
 * processes"), 57 frames of 16 kB took 5.8 ms to post as 57 transferred buffers (after a copy of
 * each, 3.4 ms in the first-view profile) and 2.0 ms (+0.5 to pack) as one. The page slices each
 * frame out again, so every caller still owns a buffer of exactly its frame.
 */
import type { OutboxEntry } from '../shared/port-outbox.js';
import type { FrameChannelAnswer, FramesMessage } from '../shared/protocol.js';
import { packFrames } from './frame-pusher.js';

export function packAnswers(entries: readonly OutboxEntry<FrameChannelAnswer>[]): {
  message: FramesMessage;
  transfers: ArrayBuffer[];
} {
  // getFrame bytes only: getFrames' answers carry a packed buffer of their own, errors none.
  const bytes = entries.map(({ item }) => (item[1] instanceof Uint8Array ? item[1] : undefined));
  const { buffer: frames } = packFrames(bytes);
  let at = 0;
  const answers = entries.map(({ item }, i): FrameChannelAnswer => {
    const length = bytes[i]?.byteLength;
    if (length === undefined) return item;
    const slice = { at, length };
    at += length;
    return [item[0], slice];
  });
  return { message: { answers, frames }, transfers: [frames, ...entries.flatMap((e) => e.transfers)] };
}

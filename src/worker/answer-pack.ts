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

export function packAnswers(entries: readonly OutboxEntry<FrameChannelAnswer>[]): {
  message: FramesMessage;
  transfers: ArrayBuffer[];
} {
  let total = 0;
  for (const { item } of entries) {
    const result = item[1];
    if (result.ok && result.value instanceof Uint8Array) total += result.value.byteLength;
  }
  const frames = new ArrayBuffer(total);
  const target = new Uint8Array(frames);
  let at = 0;
  const answers = entries.map(({ item }): FrameChannelAnswer => {
    const [id, result] = item;
    if (!result.ok || !(result.value instanceof Uint8Array)) return item;
    const { byteLength } = result.value;
    target.set(result.value, at);
    const slice = { at, length: byteLength };
    at += byteLength;
    return [id, { ok: true, value: slice }];
  });
  return { message: { answers, frames }, transfers: [frames, ...entries.flatMap((e) => e.transfers)] };
}

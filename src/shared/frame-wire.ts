/**
 * The frame channel's calls and answers as flat arrays (protocol.ts FrameChannelCall,
 * FrameChannelAnswer), made and read in one place so both ends agree.
 */
import type { InstanceRef } from '../core/types.js';
import type {
  FrameCallOptions,
  FrameChannelAnswer,
  FrameChannelCall,
  FrameSlice,
  PackedFrames,
  WireResult,
} from './protocol.js';

export type AnswerValue = Uint8Array | FrameSlice | PackedFrames | undefined;

export function callOf(
  id: number,
  engineId: number,
  instance: InstanceRef,
  frames: number | number[],
  opts: FrameCallOptions,
): FrameChannelCall {
  return [
    id,
    engineId,
    instance.url,
    instance.frameCount,
    frames,
    opts.hint,
    opts.priority,
    opts.callId,
    opts.pushEpoch,
  ];
}

/** The call's options, as FrameCallOptions (absent ones left out). */
export function optionsOf(call: FrameChannelCall): FrameCallOptions {
  const [, , , , , hint, priority, callId, pushEpoch] = call;
  const opts: FrameCallOptions = {};
  if (hint !== undefined) opts.hint = hint;
  if (priority !== undefined) opts.priority = priority;
  if (callId !== undefined) opts.callId = callId;
  if (pushEpoch !== undefined) opts.pushEpoch = pushEpoch;
  return opts;
}

export function answerOf(id: number, result: WireResult<AnswerValue>): FrameChannelAnswer {
  return result.ok ? [id, result.value] : [id, undefined, result.error];
}

export function resultOf(answer: FrameChannelAnswer): WireResult<AnswerValue> {
  return answer.length === 3 ? { ok: false, error: answer[2] } : { ok: true, value: answer[1] };
}

/**
 * The worker end of the frame channel's answers: what became ready in one task goes back as one
 * message (protocol.ts FrameChannelAnswers). The frames of one network read are delivered in one
 * task, so a view's tiles reach the page in one message instead of one each (in shared mode each
 * message crosses processes: docs/worker-cost.md).
 */
import type { FrameChannelAnswer, FrameChannelAnswers } from '../shared/protocol.js';

export class AnswerOutbox {
  readonly #port: MessagePort;
  #answers: FrameChannelAnswers = [];
  #transfers: ArrayBuffer[] = [];

  constructor(port: MessagePort) {
    this.#port = port;
  }

  /**
   * Queues an answer. The flush runs a microtask after the first answer of a wave: answers that
   * reach this point in the same microtask round (every frame of one delivery) go with it.
   */
  add(answer: FrameChannelAnswer, transfers: ArrayBuffer[]): void {
    this.#answers.push(answer);
    for (const buffer of transfers) this.#transfers.push(buffer);
    if (this.#answers.length === 1) queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    const answers = this.#answers;
    const transfers = this.#transfers;
    this.#answers = [];
    this.#transfers = [];
    try {
      this.#port.postMessage(answers, transfers);
    } catch {
      // The tab closed the channel (it is gone or restarting): nobody waits for these answers.
    }
  }
}

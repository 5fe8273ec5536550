/**
 * Requests waiting for an HTTP slot: FIFO within a priority, higher priorities first.
 * Dropped requests are removed lazily.
 */
import type { PriorityRank, SourceRequest } from './in-flight.js';

export class RequestQueue {
  readonly #lanes: SourceRequest[][] = [[], [], [], []];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(request: SourceRequest, front = false): void {
    const lane = this.#lanes[request.priority as PriorityRank]!;
    if (front) lane.unshift(request);
    else lane.push(request);
    this.#size++;
  }

  /**
   * The next queued request, skipping dropped ones; undefined when the first one queued may not
   * start yet (`canStart`): a request never overtakes one of a higher priority.
   */
  shift(canStart: (request: SourceRequest) => boolean = () => true): SourceRequest | undefined {
    for (const lane of this.#lanes) {
      while (lane.length > 0) {
        const request = lane[0]!;
        if (request.state !== 'queued') {
          lane.shift();
          continue;
        }
        if (!canStart(request)) return undefined;
        lane.shift();
        this.#size--;
        return request;
      }
    }
    return undefined;
  }

  /** Moves a queued request to a higher-priority lane (a visible tile waits on a prefetch). */
  promote(request: SourceRequest, priority: PriorityRank): void {
    if (request.state !== 'queued' || priority >= request.priority) return;
    const lane = this.#lanes[request.priority]!;
    const index = lane.indexOf(request);
    if (index >= 0) lane.splice(index, 1);
    request.priority = priority;
    this.#lanes[priority]!.push(request);
  }

  /** Queued requests of one lane, in order. */
  queuedAt(priority: PriorityRank): SourceRequest[] {
    return this.#lanes[priority]!.filter((r) => r.state === 'queued');
  }

  /** Marks a queued request dropped; it will be skipped. */
  drop(request: SourceRequest): void {
    if (request.state !== 'queued') return;
    request.state = 'dropped';
    this.#size--;
  }

  /** Empties the queue, returning what was queued. */
  drain(): SourceRequest[] {
    const out: SourceRequest[] = [];
    for (const lane of this.#lanes) {
      for (const request of lane) if (request.state === 'queued') out.push(request);
      lane.length = 0;
    }
    this.#size = 0;
    return out;
  }
}

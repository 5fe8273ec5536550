/**
 * The in-flight registry, kept apart from the LRU: eviction never cancels a request
 * (docs/design.md, "Scheduler"). Per instance: which frames are loading
 * (from the moment they are requested until delivered or failed), which request will deliver
 * each, and who waits for which frame.
 */

export type LoadKind = 'block' | 'instance' | 'latency';

/** 0 = visible, 1 = background (the rest of a visible miss's block), 2 = prefetch, 3 = preload. */
export type PriorityRank = 0 | 1 | 2 | 3;
export const VISIBLE: PriorityRank = 0;
export const BACKGROUND: PriorityRank = 1;

export interface Load {
  readonly id: number;
  readonly kind: LoadKind;
  readonly instanceUrl: string;
  /** Frames this load will still deliver. */
  readonly expected: Set<number>;
  /** Whole-instance loads: the frame count the caller gave (the file may hold more). */
  readonly instanceFrameCount: number | undefined;
  readonly createdAt: number;
  /** When its first HTTP request started. */
  startedAt: number | undefined;
  openRequests: number;
  networkFrames: number;
  networkBytes: number;
  sentRequests: number;
  readonly done: Promise<void>;
  settle(): void;
}

export type RequestState = 'queued' | 'running' | 'done' | 'dropped';

/** One FrameSource call: a frame list, or the whole instance when frameNumbers is undefined. */
export interface SourceRequest {
  readonly load: Load;
  readonly frameNumbers: number[] | undefined;
  priority: PriorityRank;
  /** When it started running, when its first frame arrived, and what it delivered (for the link learner). */
  startedAt?: number;
  firstFrameAt?: number;
  firstFrameBytes?: number;
  deliveredFrames?: number;
  deliveredBytes?: number;
  /** What its origin's requests had delivered when its first frame arrived (Loader.#linkBytes). */
  linkBytesAtFirstFrame?: number;
  state: RequestState;
  readonly controller: AbortController;
  /** Waiters whose frame this request delivers; a queued request whose waiters all left is dropped. */
  waiters: number;
  hadWaiters: boolean;
  /** Stopped part way for a visible request (Loader, "yield"); its remaining frames were asked again. */
  yielded?: boolean;
  /** The source retried it (a part missing, a stall, a network error): its timing restarted. */
  retried?: boolean;
}

export interface Waiter {
  readonly resolve: (bytes: Uint8Array | undefined) => void;
  readonly reject: (error: unknown) => void;
  request: SourceRequest | undefined;
  /** The waiter's priority: a queued request it waits on is promoted to at least this. */
  readonly priority: PriorityRank;
}

export class InstanceLoads {
  /** frameNumber -> how many loads still cover it. */
  readonly #loading = new Map<number, number>();
  /** frameNumber -> the request expected to deliver it first. */
  readonly #owner = new Map<number, SourceRequest>();
  readonly waiters = new Map<number, Waiter[]>();
  readonly loads = new Set<Load>();

  isLoading(frameNumber: number): boolean {
    return this.#loading.has(frameNumber);
  }

  markLoading(frameNumber: number): void {
    this.#loading.set(frameNumber, (this.#loading.get(frameNumber) ?? 0) + 1);
  }

  /** Returns true when no load covers the frame any more. */
  unmarkLoading(frameNumber: number, request: SourceRequest | undefined): boolean {
    const count = this.#loading.get(frameNumber);
    if (this.#owner.get(frameNumber) === request) this.#owner.delete(frameNumber);
    if (count === undefined) return true;
    if (count <= 1) {
      this.#loading.delete(frameNumber);
      return true;
    }
    this.#loading.set(frameNumber, count - 1);
    return false;
  }

  setOwner(frameNumber: number, request: SourceRequest): void {
    if (!this.#owner.has(frameNumber)) this.#owner.set(frameNumber, request);
  }

  /** A visible request sent to overtake the frame's slower request: its waiters wait on this one. */
  takeOwnership(frameNumber: number, request: SourceRequest): void {
    this.#owner.set(frameNumber, request);
  }

  ownerOf(frameNumber: number): SourceRequest | undefined {
    return this.#owner.get(frameNumber);
  }

  addWaiter(frameNumber: number, waiter: Waiter): void {
    const list = this.waiters.get(frameNumber);
    if (list === undefined) this.waiters.set(frameNumber, [waiter]);
    else list.push(waiter);
  }

  removeWaiter(frameNumber: number, waiter: Waiter): boolean {
    const list = this.waiters.get(frameNumber);
    if (list === undefined) return false;
    const index = list.indexOf(waiter);
    if (index < 0) return false;
    list.splice(index, 1);
    if (list.length === 0) this.waiters.delete(frameNumber);
    return true;
  }

  takeWaiters(frameNumber: number): Waiter[] {
    const list = this.waiters.get(frameNumber);
    if (list === undefined) return [];
    this.waiters.delete(frameNumber);
    return list;
  }

  get idle(): boolean {
    return this.loads.size === 0 && this.waiters.size === 0 && this.#loading.size === 0;
  }
}

export class InFlightRegistry {
  readonly #instances = new Map<string, InstanceLoads>();

  of(instanceUrl: string): InstanceLoads {
    let state = this.#instances.get(instanceUrl);
    if (state === undefined) {
      state = new InstanceLoads();
      this.#instances.set(instanceUrl, state);
    }
    return state;
  }

  isLoading(instanceUrl: string, frameNumber: number): boolean {
    return this.#instances.get(instanceUrl)?.isLoading(frameNumber) ?? false;
  }

  /** Drops the entry of an instance with nothing loading and nobody waiting. */
  release(instanceUrl: string): void {
    const state = this.#instances.get(instanceUrl);
    if (state?.idle) this.#instances.delete(instanceUrl);
  }

  loads(instanceUrl?: string): Load[] {
    if (instanceUrl !== undefined) return [...(this.#instances.get(instanceUrl)?.loads ?? [])];
    const all: Load[] = [];
    for (const state of this.#instances.values()) all.push(...state.loads);
    return all;
  }

  instances(): IterableIterator<[string, InstanceLoads]> {
    return this.#instances.entries();
  }
}

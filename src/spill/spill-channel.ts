/**
 * Cross-tab freshness of the tier's in-memory index. Every store writing to a database
 * announces on a BroadcastChannel named after it ("a batch was written, evicted or cleared");
 * the other stores on that database (other tabs, workers, the shared worker) then know their
 * index may be stale and bring it up to date before they next answer a key they do not know.
 * Without an announcement, a key the index does not know is answered "not stored" at once,
 * without a transaction. The message carries nothing but a constant: no key, URL or namespace.
 *
 * BroadcastChannel exists in windows, dedicated and shared workers and Node >= 18; where it
 * does not, the store falls back to checking at most every FRESHNESS_POLL_MS.
 */

import type { Logger } from '../core/ports.js';
import { errorFields } from './idb-records.js';

/** Without BroadcastChannel: a key the index does not know makes it check the database at most this often. */
export const FRESHNESS_POLL_MS = 1000;

/** One store's end of the channel. */
export interface SpillChannel {
  /** Tells the other stores on this database that its batches changed. */
  announce(): void;
  close(): void;
}

/** Opens the channel `name`; `onAnnounce` runs for every announcement by another store. */
export type SpillChannelFactory = (name: string, onAnnounce: () => void) => SpillChannel;

const ANNOUNCEMENT = 'spill-changed';

export function channelName(dbName: string): string {
  return `dicomweb-frame-cache:spill:${dbName}`;
}

/** A factory over the global BroadcastChannel, read when called; undefined where it is absent. */
export function broadcastChannelFactory(): SpillChannelFactory | undefined {
  const Channel = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel;
  if (typeof Channel !== 'function') return undefined;
  return (name, onAnnounce) => {
    const channel = new Channel(name);
    channel.addEventListener('message', (event: MessageEvent) => {
      if (event.data === ANNOUNCEMENT) onAnnounce();
    });
    // Node only: an open channel must not keep the process alive.
    (channel as { unref?: () => void }).unref?.();
    let open = true;
    return {
      announce: () => {
        if (!open) return;
        try {
          // oxlint-disable-next-line unicorn/require-post-message-target-origin -- BroadcastChannel takes no origin
          channel.postMessage(ANNOUNCEMENT);
        } catch {
          // closed under us: the others find out at their next write
        }
      },
      close: () => {
        open = false;
        channel.close();
      },
    };
  };
}

/**
 * Whether a store's index may lack batches other stores wrote: it counts the announcements
 * heard and how many of them the index has caught up with; without a channel, it goes stale
 * FRESHNESS_POLL_MS after the last catch-up.
 */
export class IndexFreshness {
  readonly #factory: SpillChannelFactory | null | undefined;
  readonly #dbName: string;
  readonly #logger: Logger;
  readonly #now: () => number;
  #channel: SpillChannel | undefined;
  #opened = false;
  #heard = 0;
  #caughtUp = 0;
  #syncedAt = -Infinity;

  /** `factory` undefined: the global BroadcastChannel where it exists; null: none. */
  constructor(factory: SpillChannelFactory | null | undefined, dbName: string, logger: Logger, now: () => number) {
    this.#factory = factory;
    this.#dbName = dbName;
    this.#logger = logger;
    this.#now = now;
  }

  /** Starts listening (once): before the index is first loaded, so no announcement is missed. */
  open(): void {
    if (this.#opened) return;
    this.#opened = true;
    const factory = this.#factory === undefined ? broadcastChannelFactory() : (this.#factory ?? undefined);
    if (factory === undefined) return;
    try {
      this.#channel = factory(channelName(this.#dbName), () => this.#heard++);
    } catch (error) {
      this.#logger.debug('spill: no BroadcastChannel; polling for other tabs\u2019 writes', {
        dbName: this.#dbName,
        ...errorFields(error),
      });
    }
  }

  /** Taken just before reading the database: what a catch-up from that read accounts for. */
  mark(): number {
    return this.#heard;
  }

  /** The index now holds what the database held when `mark` was taken. */
  caughtUp(mark: number): void {
    this.#caughtUp = Math.max(this.#caughtUp, mark);
    this.#syncedAt = this.#now();
  }

  mayBeStale(): boolean {
    if (this.#channel !== undefined) return this.#heard !== this.#caughtUp;
    const age = this.#now() - this.#syncedAt;
    return age >= FRESHNESS_POLL_MS || age < 0;
  }

  announce(): void {
    this.#channel?.announce();
  }

  /** For good: no channel is opened again. */
  close(): void {
    this.#opened = true;
    this.#channel?.close();
    this.#channel = undefined;
  }
}

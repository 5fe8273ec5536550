/**
 * The tier's one connection to its database: opened at first use on the injected (or global)
 * IDBFactory, given up when another tab deletes or upgrades the database (so that tab is not
 * blocked), reopened on the next use, and reported unusable once when IndexedDB is absent, the
 * open fails, or a reopened connection is closed again.
 */
import type { Timers } from '../core/ports.js';
import { SpillOpenError, openSpillDatabase, type SpillOpenFailure } from './idb-database.js';
import { errorName } from './idb-records.js';

export const UNAVAILABLE: unique symbol = Symbol('spill database unavailable');
export type Unavailable = typeof UNAVAILABLE;
export type UnavailableReason = 'absent' | 'closed' | SpillOpenFailure;

export interface SpillConnectionOptions {
  dbName: string;
  /** undefined: `globalThis.indexedDB`, read at first use. */
  factory: IDBFactory | undefined;
  timers: Timers;
  openTimeoutMs: number;
  /** Called once per failure: from then on every run() gives UNAVAILABLE (until retry()). */
  onUnavailable: (reason: UnavailableReason, error: unknown) => void;
}

export class SpillConnection {
  readonly #options: SpillConnectionOptions;
  #db: Promise<IDBDatabase | undefined> | undefined;
  #connection: IDBDatabase | undefined;
  #unavailable: UnavailableReason | undefined;
  #closed = false;

  constructor(options: SpillConnectionOptions) {
    this.#options = options;
  }

  get unavailable(): boolean {
    return this.#unavailable !== undefined;
  }

  /**
   * Runs `op` on the open database. A closed connection (InvalidStateError: another tab deleted
   * or upgraded the database, or the browser closed it) is reopened once; closed again, the
   * database is given up. Other errors of `op` pass through.
   */
  async run<T>(op: (db: IDBDatabase) => Promise<T>): Promise<T | Unavailable> {
    const db = await this.#database();
    if (db === undefined) return UNAVAILABLE;
    try {
      return await op(db);
    } catch (error) {
      if (errorName(error) !== 'InvalidStateError') throw error;
      this.#drop(db);
      const again = await this.#database();
      if (again === undefined) return UNAVAILABLE;
      try {
        return await op(again);
      } catch (second) {
        if (errorName(second) !== 'InvalidStateError') throw second;
        this.#giveUp('closed', second);
        return UNAVAILABLE;
      }
    }
  }

  /** Forgets an earlier failure (not an absent IndexedDB): the next run() opens again. */
  retry(): void {
    if (this.#unavailable === undefined || this.#unavailable === 'absent' || this.#closed) return;
    this.#unavailable = undefined;
    this.#db = undefined;
  }

  /** Closes for good: later runs give UNAVAILABLE without reporting it. */
  close(): void {
    this.#closed = true;
    this.#closeConnection();
  }

  #database(): Promise<IDBDatabase | undefined> {
    if (this.#unavailable !== undefined || this.#closed) return Promise.resolve(undefined);
    this.#db ??= this.#open();
    return this.#db;
  }

  async #open(): Promise<IDBDatabase | undefined> {
    const factory = this.#options.factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (factory === undefined || factory === null) {
      this.#giveUp('absent', undefined);
      return undefined;
    }
    try {
      const db = await openSpillDatabase(
        factory,
        this.#options.dbName,
        this.#options.timers,
        this.#options.openTimeoutMs,
      );
      // Another tab deletes or upgrades the database: let it (close), reopen on next use.
      db.addEventListener('versionchange', () => {
        db.close();
        this.#drop(db);
      });
      db.addEventListener('close', () => this.#drop(db));
      if (this.#closed || this.#unavailable !== undefined) {
        db.close();
        return undefined;
      }
      this.#connection = db;
      return db;
    } catch (error) {
      this.#giveUp(error instanceof SpillOpenError ? error.reason : 'error', error);
      return undefined;
    }
  }

  #drop(db: IDBDatabase): void {
    if (this.#connection !== db) return;
    this.#connection = undefined;
    this.#db = undefined;
  }

  #closeConnection(): void {
    const db = this.#connection;
    this.#connection = undefined;
    this.#db = undefined;
    db?.close();
  }

  #giveUp(reason: UnavailableReason, error: unknown): void {
    if (this.#unavailable !== undefined || this.#closed) return;
    this.#unavailable = reason;
    this.#closeConnection();
    this.#options.onUnavailable(reason, error);
  }
}

/**
 * Log records carry the cache's lifetime uid and a per-logger worker uid (new after
 * resetStats or clone), plus the caller's structured fields (docs/seed-behaviour.md, "Identity, copies, logging").
 */
import type { LogFields, Logger } from './ports.js';

type Level = keyof Logger;

export class TraceLogger implements Logger {
  readonly #target: Logger | undefined;
  readonly #cacheInstanceUid: string;
  workerUid: string;

  constructor(target: Logger | undefined, cacheInstanceUid: string, workerUid: string) {
    this.#target = target;
    this.#cacheInstanceUid = cacheInstanceUid;
    this.workerUid = workerUid;
  }

  debug(message: string, fields?: LogFields): void {
    this.#log('debug', message, fields);
  }

  info(message: string, fields?: LogFields): void {
    this.#log('info', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.#log('warn', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.#log('error', message, fields);
  }

  #log(level: Level, message: string, fields: LogFields | undefined): void {
    const target = this.#target;
    if (target === undefined) return;
    try {
      target[level](message, { cacheInstanceUid: this.#cacheInstanceUid, workerUid: this.workerUid, ...fields });
    } catch {
      // A throwing logger must never break a load.
    }
  }
}

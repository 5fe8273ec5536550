/**
 * One FrameCacheEngine per auth scope (scope-key.ts), each with a DICOMweb source that sends the
 * viewer's own Accept and headers and records how the server wrote each part (part-info.ts).
 * At most `maxScopes` engines live at once; the least recently used one is closed.
 */
import { resolveOptions } from '../core/options.js';
import type { CacheStats, FrameCacheOptions } from '../core/types.js';
import { FrameCacheEngine } from '../platform/frame-cache-engine.js';
import { realTimers } from '../shared/real-timers.js';
import { resolveHeaders } from '../transport/http.js';
import { DicomwebSource } from '../transport/dicomweb-source.js';
import { PartInfoStore } from './part-info.js';
import { SERVICE_WORKER_CHUNK_FRAMES } from './read-plan.js';

export interface Scope {
  readonly key: string;
  readonly engine: FrameCacheEngine;
  readonly parts: PartInfoStore;
  /** The engine's aligned chunk, in frames (read-plan.ts). */
  readonly chunkFrames: number;
  /** The headers of the latest request of this scope (same credential by construction); memory only. */
  headers: Record<string, string>;
}

export class ScopeEngines {
  readonly #options: FrameCacheOptions;
  readonly #scopes = new Map<string, Scope>();
  readonly #maxScopes: number;
  readonly #fetch: typeof fetch;

  /** `options` were checked by the caller (resolveOptions): they build engines without throwing. */
  constructor(options: FrameCacheOptions, fetchFn: typeof fetch, maxScopes = 8) {
    this.#options = options;
    this.#fetch = fetchFn;
    this.#maxScopes = maxScopes;
  }

  get size(): number {
    return this.#scopes.size;
  }

  /**
   * The scope's engine, created on first use with the request's Accept; its reads go with the
   * request's credentials mode (cookies sent or not, as the page's own request would have).
   */
  get(
    key: string,
    accept: string,
    headers: Record<string, string>,
    credentials: RequestCredentials = 'same-origin',
  ): Scope {
    let scope = this.#scopes.get(key);
    if (scope !== undefined) {
      this.#scopes.delete(key); // re-inserted last: most recently used
      this.#scopes.set(key, scope);
      scope.headers = headers;
      return scope;
    }
    scope = this.#create(key, accept, headers, credentials);
    this.#scopes.set(key, scope);
    while (this.#scopes.size > this.#maxScopes) {
      const [oldestKey, oldest] = this.#scopes.entries().next().value as [string, Scope];
      this.#scopes.delete(oldestKey);
      void oldest.engine.close().catch(() => undefined);
    }
    return scope;
  }

  #create(key: string, accept: string, headers: Record<string, string>, credentials: RequestCredentials): Scope {
    const resolved = resolveOptions(this.#options);
    const parts = new PartInfoStore();
    const appHeaders = this.#options.headers;
    const chunkFrames = this.#options.framesPerRequest ?? SERVICE_WORKER_CHUNK_FRAMES;
    const scope: Scope = { key, engine: undefined as unknown as FrameCacheEngine, parts, chunkFrames, headers };
    const source = new DicomwebSource({
      fetch: (url, init) => this.#fetch(url, { ...init, credentials }),
      headers: async (url) => ({ ...(await resolveHeaders(appHeaders, url)), ...scope.headers }),
      timers: realTimers,
      requestTimeoutMs: resolved.requestTimeoutMs,
      maxRetries: resolved.maxRetries,
      cache: resolved.httpCache,
      framesAccept: accept,
      onFramePart: (instanceUrl, frameNumber, partHeaders, answerType) =>
        parts.record(instanceUrl, frameNumber, partHeaders, answerType),
    });
    const spill = this.#options.spill;
    (scope as { engine: FrameCacheEngine }).engine = new FrameCacheEngine(
      {
        ...this.#options,
        // Frames are read with the viewer's Accept, so every answer is one the server gives for it.
        wholeInstanceMaxFrames: this.#options.wholeInstanceMaxFrames ?? 0,
        // A viewer behind a Service Worker asks tile by tile as it renders, so its misses come in
        // several small batches; long aligned chunks keep the requests reaching the archive few
        // (read-plan.ts). Still the same chunk for every user of a server.
        framesPerRequest: chunkFrames,
        spill:
          spill === undefined || spill === false ? false : { ...spill, namespace: `${spill.namespace ?? ''}|${key}` },
        source,
      },
      // Its read plan has a tile wait for its chunk on purpose: no overtaking requests.
      { overtakeChunks: false },
    );
    return scope;
  }

  async stats(): Promise<CacheStats[]> {
    return Promise.all([...this.#scopes.values()].map((s) => s.engine.stats()));
  }

  async resetStats(): Promise<void> {
    await Promise.all([...this.#scopes.values()].map((s) => s.engine.resetStats()));
  }

  /**
   * Empties every scope's memory; with `spill`, the IndexedDB tier too, every namespace, even
   * when no scope is alive (a Service Worker restarted after idling has none, and the page's
   * wipe must still wipe): a throwaway engine on the same database clears it then.
   */
  async clear(opts: { spill?: boolean } = {}): Promise<void> {
    const scopes = [...this.#scopes.values()];
    const spill = this.#options.spill;
    if (opts.spill === true && scopes.length === 0 && spill !== undefined && spill !== false) {
      const engine = new FrameCacheEngine({ ...this.#options, fetch: this.#fetch, spill });
      try {
        await engine.clear({ spill: true });
      } finally {
        await engine.close();
      }
      return;
    }
    await Promise.all(scopes.map((s) => s.engine.clear(opts)));
  }
}

/**
 * The Service Worker's request handling, without the event wiring (serve-frames.ts): which
 * requests it answers, how it answers a frames GET from the cache, and the fall-through to the
 * network on anything it cannot answer exactly as the server would (docs/service-worker.md).
 */
import { originOf } from '../core/origin.js';
import { resolveOptions } from '../core/options.js';
import type { FrameCacheOptions } from '../core/types.js';
import { FrameCounts } from './frame-counts.js';
import { isMultipartAccept, matchFrameRequest, matchMetadataRequest, type FrameRequest } from './frame-url.js';
import { buildMultipartAnswer } from './multipart-answer.js';
import { parseMultipartRelated } from '../transport/multipart.js';
import { forwardedHeaders, scopeKeyOf } from './scope-key.js';
import { ScopeEngines, type Scope } from './scope-engines.js';
import { choosePlan, chunkLengthOf, type ReadPlan } from './read-plan.js';
import { sumCacheStats, zeroCounters, type PassReason, type ServiceWorkerStats } from './sw-stats.js';

const MAX_NAMESPACED_PAGES = 1000;

export interface FrameServerSettings {
  /** Absolute roots without a trailing slash (frame-url.ts resolveRoots). */
  roots: string[];
  /** Checked FrameCacheOptions for every engine. */
  cacheOptions: FrameCacheOptions;
  fetch: typeof fetch;
  /** Engines (auth scopes) alive at once. @default 8 */
  maxScopes?: number;
}

export class FrameServer {
  readonly #roots: string[];
  readonly #fetch: typeof fetch;
  readonly #engines: ScopeEngines;
  readonly #counts: FrameCounts;
  readonly #namespaces = new Map<string, string>();
  #counters = zeroCounters();

  constructor(settings: FrameServerSettings) {
    this.#roots = settings.roots;
    this.#fetch = settings.fetch;
    this.#engines = new ScopeEngines(settings.cacheOptions, settings.fetch, settings.maxScopes);
    // A metadata read of its own gets the time a request gets (a hang would hold the viewer's tile).
    this.#counts = new FrameCounts(undefined, resolveOptions(settings.cacheOptions).requestTimeoutMs);
  }

  /**
   * The answer to `request`, or undefined to leave it to the browser untouched. The promise
   * never rejects unless the network itself does for the passed-through request.
   */
  handle(request: Request, clientId: string, waitUntil: (p: Promise<unknown>) => void): Promise<Response> | undefined {
    if (request.method !== 'GET' || request.headers.has('range')) return undefined;
    const frames = matchFrameRequest(request.url, this.#roots);
    if (frames !== undefined) {
      return isMultipartAccept(request.headers.get('accept'))
        ? this.#serveFrames(request, frames, clientId, waitUntil)
        : undefined;
    }
    const metadataRoot = matchMetadataRequest(request.url, this.#roots);
    if (metadataRoot !== undefined) return this.#passMetadata(request, metadataRoot, waitUntil);
    return undefined;
  }

  setNamespace(clientId: string, namespace: string): void {
    this.#namespaces.delete(clientId);
    // Pages come and go: keep the most recent ones (a page outside this bound falls back to '').
    if (this.#namespaces.size >= MAX_NAMESPACED_PAGES) this.#namespaces.delete(this.#namespaces.keys().next().value!);
    this.#namespaces.set(clientId, namespace);
  }

  async stats(): Promise<ServiceWorkerStats> {
    const engines = await this.#engines.stats();
    return {
      ...structuredClone(this.#counters),
      frameCountsKnown: this.#counts.known,
      metadataReads: this.#counts.metadataReads,
      scopes: this.#engines.size,
      cache: sumCacheStats(engines),
    };
  }

  async resetStats(): Promise<void> {
    this.#counters = zeroCounters();
    this.#counts.metadataReads = 0;
    await this.#engines.resetStats();
  }

  async clear(opts: { spill?: boolean } = {}): Promise<void> {
    await this.#engines.clear(opts);
  }

  async #serveFrames(
    request: Request,
    match: FrameRequest,
    clientId: string,
    waitUntil: (p: Promise<unknown>) => void,
  ): Promise<Response> {
    this.#counters.frameRequests++;
    let scope: Scope | undefined;
    try {
      const accept = request.headers.get('accept') ?? '';
      const headers = forwardedHeaders(request.headers);
      const credentials = request.credentials;
      const key = await scopeKeyOf(this.#namespaces.get(clientId) ?? '', accept, headers, credentials);
      scope = this.#engines.get(key, accept, headers, credentials);
      // The metadata read goes with the page request's cookies (or none), as the frames do.
      const frameCount = await this.#counts.resolve(match.instanceUrl, headers, (url, init) =>
        this.#fetch(url, { ...init, credentials }),
      );
      if (frameCount === undefined) return this.#pass(request, 'no-frame-count');
      // Out of range: the server's own answer (Orthanc: 400) is the right one.
      if (match.frameNumbers.some((n) => n > frameCount)) return this.#pass(request, 'frames-missing');
      const plan = await this.#planOf(scope, match, frameCount);
      this.#counters.plans[plan]++;
      // A chunk read first is a 'prefetch' read of the engine: the aligned chunk alone, no
      // separate request of the tile's frames.
      const frames = await scope.engine.getFrames({ url: match.instanceUrl, frameCount }, match.frameNumbers, {
        priority: plan === 'chunk' ? 'prefetch' : 'visible',
        signal: request.signal,
      });
      if (frames.some((f) => f === undefined)) return this.#pass(request, 'frames-missing');
      const info = scope.parts.get(match.instanceUrl);
      if (info === undefined)
        return this.#pass(request, 'no-part-info', (response) => waitUntil(this.#learnParts(response, match, scope!)));
      const answer = buildMultipartAnswer(
        info,
        match.frameNumbers.map((n, i) => [n, frames[i]!] as [number, Uint8Array]),
      );
      this.#counters.served++;
      this.#counters.servedFrames += frames.length;
      return new Response(answer.body as Uint8Array<ArrayBuffer>, {
        status: 200,
        headers: { 'content-type': answer.contentType, 'content-length': String(answer.body.byteLength) },
      });
    } catch {
      return this.#pass(request, 'error');
    }
  }

  async #planOf(scope: Scope, match: FrameRequest, frameCount: number): Promise<ReadPlan> {
    const origin = originOf(match.instanceUrl);
    const link = (await scope.engine.stats()).links.find((l) => l.origin === origin);
    const chunkLength = chunkLengthOf(match.frameNumbers[0]!, frameCount, scope.chunkFrames);
    return choosePlan(chunkLength, match.frameNumbers.length, link);
  }

  async #pass(request: Request, reason: PassReason, onResponse?: (response: Response) => void): Promise<Response> {
    this.#counters.passedThrough[reason]++;
    const response = await this.#fetch(request);
    if (onResponse !== undefined && response.ok) onResponse(response.clone());
    return response;
  }

  /** Learns the part layout of an instance from an answer the server sent the page. */
  async #learnParts(response: Response, match: FrameRequest, scope: Scope): Promise<void> {
    try {
      const contentType = response.headers.get('content-type') ?? '';
      const parts = parseMultipartRelated(contentType, new Uint8Array(await response.arrayBuffer()));
      if (parts.length !== match.frameNumbers.length) return;
      parts.forEach((part, i) =>
        scope.parts.record(match.instanceUrl, match.frameNumbers[i]!, part.headers, contentType),
      );
    } catch {
      // Not learned: the next request passes through again.
    }
  }

  async #passMetadata(request: Request, root: string, waitUntil: (p: Promise<unknown>) => void): Promise<Response> {
    const response = await this.#fetch(request);
    if (response.ok) {
      this.#counters.metadataSeen++;
      const copy = response.clone();
      waitUntil(
        (async () => {
          try {
            this.#counts.learnFromMetadata(root, await copy.json());
          } catch {
            // Not JSON or cut short: frame counts are read on demand instead.
          }
        })(),
      );
    }
    return response;
  }
}

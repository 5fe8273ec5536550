/**
 * How the server writes the parts of a frames answer, learned per instance from the answers the
 * engine reads (or the ones passing through): the answer's Content-Type, each part's headers,
 * and the Content-Location prefix. An instance whose parts disagree (two content types for one
 * Accept) is marked and never answered from the cache.
 */
import { parseMediaType } from '../transport/content-type.js';

export interface PartInfo {
  /** The answer's Content-Type without its boundary parameter, as the server wrote it otherwise. */
  answerType: string;
  /** Part headers other than Content-Location and Content-Length, names lower-cased, in order. */
  headers: [string, string][];
  /** What precedes `/frames/N` in the parts' Content-Location, or undefined when the server sends none. */
  locationPrefix: string | undefined;
  /** Where Content-Location and Content-Length sit among the headers (the server's order). */
  order: string[];
}

const LOCATION_TAIL = /\/frames\/(\d+)\/?$/;

/** The answer's Content-Type with the boundary parameter removed (other text kept as sent). */
export function withoutBoundary(contentType: string): string {
  return contentType.replace(/;\s*boundary=("[^"]*"|[^;]*)/i, '').trim();
}

/** The PartInfo one part describes, or undefined when it cannot be reproduced for another frame. */
export function partInfoOf(
  frameNumber: number,
  headers: Record<string, string>,
  answerType: string,
): PartInfo | undefined {
  if (parseMediaType(answerType).type !== 'multipart/related') return undefined;
  let locationPrefix: string | undefined;
  const location = headers['content-location'];
  if (location !== undefined) {
    const match = LOCATION_TAIL.exec(location);
    if (match === null || Number(match[1]) !== frameNumber) return undefined;
    locationPrefix = location.slice(0, match.index);
  }
  const kept: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name !== 'content-location' && name !== 'content-length') kept.push([name, value]);
  }
  return { answerType: withoutBoundary(answerType), headers: kept, locationPrefix, order: Object.keys(headers) };
}

function sameInfo(a: PartInfo, b: PartInfo): boolean {
  return (
    a.answerType === b.answerType &&
    a.locationPrefix === b.locationPrefix &&
    a.order.join('\n') === b.order.join('\n') &&
    a.headers.length === b.headers.length &&
    a.headers.every(([n, v], i) => b.headers[i]![0] === n && b.headers[i]![1] === v)
  );
}

export class PartInfoStore {
  readonly #byInstance = new Map<string, PartInfo | 'mixed'>();
  readonly #maxInstances: number;

  constructor(maxInstances = 10_000) {
    this.#maxInstances = maxInstances;
  }

  /** Records what one verified part of `instanceUrl` looked like. */
  record(instanceUrl: string, frameNumber: number, headers: Record<string, string>, answerType: string): void {
    const info = partInfoOf(frameNumber, headers, answerType);
    const known = this.#byInstance.get(instanceUrl);
    if (known === 'mixed') return;
    if (info === undefined || (known !== undefined && !sameInfo(known, info))) {
      this.#byInstance.set(instanceUrl, 'mixed');
      return;
    }
    if (known !== undefined) return;
    if (this.#byInstance.size >= this.#maxInstances) {
      const oldest = this.#byInstance.keys().next().value;
      if (oldest !== undefined) this.#byInstance.delete(oldest);
    }
    this.#byInstance.set(instanceUrl, info);
  }

  /** The instance's part layout, or undefined when unknown or inconsistent. */
  get(instanceUrl: string): PartInfo | undefined {
    const info = this.#byInstance.get(instanceUrl);
    return info === 'mixed' ? undefined : info;
  }

  get size(): number {
    return this.#byInstance.size;
  }
}

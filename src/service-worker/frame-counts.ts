/**
 * NumberOfFrames per instance, which the engine needs to clip its blocks: learned from the
 * DICOM JSON metadata answers passing through the Service Worker, else read once from the
 * instance's own metadata (with the headers of the request that needed it).
 */

const STUDY = '0020000D';
const SERIES = '0020000E';
const SOP = '00080018';
const NUMBER_OF_FRAMES = '00280008';

interface Attribute {
  Value?: unknown[];
}

function firstString(dataset: Record<string, Attribute | undefined>, tag: string): string | undefined {
  const value = dataset[tag]?.Value?.[0];
  return typeof value === 'string' && /^[0-9.]+$/.test(value) ? value : undefined;
}

/** NumberOfFrames of one DICOM JSON dataset (absent: 1, a single-frame image); undefined when unusable. */
export function frameCountOf(dataset: Record<string, Attribute | undefined>): number | undefined {
  const attribute = dataset[NUMBER_OF_FRAMES];
  if (attribute === undefined || attribute.Value === undefined || attribute.Value.length === 0) return 1;
  const value = Number(attribute.Value[0]);
  return Number.isInteger(value) && value >= 1 ? value : undefined;
}

/** `[instanceUrl, frameCount]` for each dataset of a metadata answer under `root`. */
export function frameCountsOfMetadata(root: string, json: unknown): [string, number][] {
  if (!Array.isArray(json)) return [];
  const out: [string, number][] = [];
  for (const item of json) {
    if (typeof item !== 'object' || item === null) continue;
    const dataset = item as Record<string, Attribute | undefined>;
    const study = firstString(dataset, STUDY);
    const series = firstString(dataset, SERIES);
    const sop = firstString(dataset, SOP);
    const frameCount = frameCountOf(dataset);
    if (study === undefined || series === undefined || sop === undefined || frameCount === undefined) continue;
    out.push([`${root}/studies/${study}/series/${series}/instances/${sop}`, frameCount]);
  }
  return out;
}

export class FrameCounts {
  readonly #known = new Map<string, number>();
  readonly #reading = new Map<string, Promise<number | undefined>>();
  readonly #maxInstances: number;
  readonly #timeoutMs: number;
  metadataReads = 0;

  /** `timeoutMs`: how long a metadata read may take in all (the cache's requestTimeoutMs). */
  constructor(maxInstances = 100_000, timeoutMs = 30_000) {
    this.#maxInstances = maxInstances;
    this.#timeoutMs = timeoutMs;
  }

  /** Instances whose frame count is known now. */
  get known(): number {
    return this.#known.size;
  }

  set(instanceUrl: string, frameCount: number): void {
    if (!this.#known.has(instanceUrl)) {
      if (this.#known.size >= this.#maxInstances) {
        const oldest = this.#known.keys().next().value;
        if (oldest !== undefined) this.#known.delete(oldest);
      }
    }
    this.#known.set(instanceUrl, frameCount);
  }

  get(instanceUrl: string): number | undefined {
    return this.#known.get(instanceUrl);
  }

  /** Learns from a metadata answer's JSON (never throws). */
  learnFromMetadata(root: string, json: unknown): void {
    for (const [url, count] of frameCountsOfMetadata(root, json)) this.set(url, count);
  }

  /**
   * The instance's frame count, reading `{instanceUrl}/metadata` once when it is not known.
   * Resolves undefined when that read fails or takes longer than the timeout (the caller then
   * lets the request through): a viewer's frame request never waits on a read that hangs.
   */
  resolve(instanceUrl: string, headers: Record<string, string>, fetchFn: typeof fetch): Promise<number | undefined> {
    const known = this.#known.get(instanceUrl);
    if (known !== undefined) return Promise.resolve(known);
    let reading = this.#reading.get(instanceUrl);
    if (reading === undefined) {
      this.metadataReads++;
      const controller = new AbortController();
      let timer: ReturnType<typeof setTimeout> | undefined;
      // The timeout answers by itself too: the read is aborted, and a fetch that ignores its
      // signal still holds no viewer's tile.
      const timedOut = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          controller.abort();
          resolve(undefined);
        }, this.#timeoutMs);
      });
      const read = (async () => {
        try {
          const response = await fetchFn(`${instanceUrl}/metadata`, {
            headers: { ...headers, accept: 'application/dicom+json' },
            signal: controller.signal,
          });
          if (!response.ok) return undefined;
          const json: unknown = await response.json();
          const count =
            Array.isArray(json) && json.length === 1
              ? frameCountOf(json[0] as Record<string, Attribute | undefined>)
              : undefined;
          if (count !== undefined) this.set(instanceUrl, count);
          return count;
        } catch {
          return undefined;
        }
      })();
      reading = Promise.race([read, timedOut]).finally(() => {
        clearTimeout(timer);
        this.#reading.delete(instanceUrl);
      });
      this.#reading.set(instanceUrl, reading);
    }
    return reading;
  }
}

/** Shared bits of the Chromium tests: the proxied Orthanc, its request log, raw IndexedDB reads. */
import { inject } from 'vitest';
import { referenceFrameList } from '../helpers/reference-frames.js';

export const orthanc = inject('orthanc');

/** The series URL through the recording proxy (CORS headers added there). */
export function proxiedSeriesUrl(name: keyof typeof orthanc.slides): string {
  return orthanc.slides[name].seriesUrl.replace(orthanc.url, orthanc.proxy.url);
}

export function proxiedInstances(name: keyof typeof orthanc.slides): { url: string; frameCount: number }[] {
  const seriesUrl = proxiedSeriesUrl(name);
  return orthanc.slides[name].levels.flatMap((level) =>
    level.instances.map((i) => ({ url: `${seriesUrl}/instances/${i.sopInstanceUid}`, frameCount: i.frameCount })),
  );
}

export interface LogEntry {
  method: string;
  path: string;
  status: number;
  bytes: number;
}

export async function proxyLog(): Promise<LogEntry[]> {
  return (await fetch(`${orthanc.proxy.url}/__proxy/log`)).json() as Promise<LogEntry[]>;
}

export async function resetProxy(): Promise<void> {
  await fetch(`${orthanc.proxy.url}/__proxy/reset`, { method: 'POST' });
}

export async function setFault(
  fault: { mode: string; match?: string; times?: number; retryAfter?: number; bytesPerMs?: number } | undefined,
): Promise<void> {
  await fetch(`${orthanc.proxy.url}/__proxy/fault`, { method: 'POST', body: fault ? JSON.stringify(fault) : '' });
}

/** Frame requests (…/frames/…) or whole-instance requests in the proxy log. */
export function frameRequests(log: LogEntry[]): LogEntry[] {
  return log.filter((e) => e.path.includes('/frames/'));
}

/**
 * All frames of an instance from Orthanc's single-frame answers through the proxy's
 * /__proxy/direct/ route (Orthanc's bytes, never faulted nor logged: the page cannot reach
 * Orthanc itself), split by the reference splitter that shares no code with src/.
 */
export async function referenceFrames(instanceUrl: string, frameCount: number): Promise<Uint8Array[]> {
  const path = new URL(instanceUrl).pathname;
  return referenceFrameList(`${orthanc.proxy.url}/__proxy/direct${path}`, frameCount);
}

/** Every record of every object store of a database, as read by the page. */
export async function dumpDatabase(name: string): Promise<{ store: string; key: IDBValidKey; value: unknown }[]> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(name);
    request.addEventListener('success', () => resolve(request.result));
    request.addEventListener('error', () => reject(request.error));
  });
  const out: { store: string; key: IDBValidKey; value: unknown }[] = [];
  try {
    for (const store of Array.from(db.objectStoreNames)) {
      const records = await new Promise<{ key: IDBValidKey; value: unknown }[]>((resolve, reject) => {
        const found: { key: IDBValidKey; value: unknown }[] = [];
        const cursor = db.transaction(store, 'readonly').objectStore(store).openCursor();
        cursor.addEventListener('success', () => {
          const c = cursor.result;
          if (c === null) return resolve(found);
          found.push({ key: c.key, value: c.value });
          c.continue();
        });
        cursor.addEventListener('error', () => reject(cursor.error));
      });
      for (const r of records) out.push({ store, ...r });
    }
  } finally {
    db.close();
  }
  return out;
}

/** Text of every string and byte in a value, for "does this secret appear anywhere" checks. */
export function textOf(value: unknown): string {
  if (value instanceof Uint8Array) return new TextDecoder('latin1').decode(value);
  if (value instanceof ArrayBuffer) return new TextDecoder('latin1').decode(new Uint8Array(value));
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(textOf).join('\u0000');
  if (typeof value === 'object' && value !== null)
    return Object.entries(value)
      .map(([k, v]) => `${k}=${textOf(v)}`)
      .join('\u0000');
  return String(value);
}

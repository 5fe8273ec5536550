// Types for faults.mjs (the fault modes of the test proxy).
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * `status-NNN`, or one of the named modes (see faults.mjs for what each does):
 * reset, truncate, drop-part, wrong-location, drip, stall, stall-headers, single-part,
 * gzip-broken, gzip-truncated, gzip-bad-crc, evil-metadata.
 */
export type FaultMode =
  | `status-${number}`
  | 'reset'
  | 'truncate'
  | 'drop-part'
  | 'wrong-location'
  | 'drip'
  | 'stall'
  | 'stall-headers'
  | 'single-part'
  | 'gzip-broken'
  | 'gzip-truncated'
  | 'gzip-bad-crc'
  | 'evil-metadata';

export interface Fault {
  mode: FaultMode;
  /** Only requests whose path contains this. */
  match?: string;
  /** Only this many requests, then the fault stops. */
  times?: number;
  /** status-NNN: Retry-After header value in seconds. */
  retryAfter?: number;
  /** reset: body bytes sent before the socket is destroyed. @default half the body */
  bytes?: number;
  /** truncate, drop-part, wrong-location: 0-based part index. @default 1 (0 when there is one part) */
  part?: number;
  /** drip: bytes written per millisecond (under ~1 B/ms is below the transport's low-speed limit). @default 8 */
  bytesPerMs?: number;
  /** Body modes: first remove every part's Content-Location (a server that sends none). */
  stripLocations?: boolean;
  /** evil-metadata: the origin the rewritten URLs point at, e.g. `http://127.0.0.1:PORT`. */
  origin?: string;
}

export interface FaultContext {
  /** Orthanc's answer (identity-encoded while a fault is active); undefined for stall-headers (Orthanc is not asked). */
  up: IncomingMessage | undefined;
  res: ServerResponse;
  status: number;
  /** Orthanc's headers plus the proxy's CORS headers. */
  headers: Record<string, unknown>;
  entry: { status: number; bytes: number; fault: string | undefined };
  /** currentEpoch() when the request arrived: a stall released since then is not held. */
  epoch?: number;
}

export const FAULT_MODES: readonly string[];
/** Why `fault` cannot be applied, or undefined when it can. */
export function checkFault(fault: unknown): string | undefined;
/** Breaks Orthanc's answer `ctx.up` as `fault.mode` says and writes the result to `ctx.res`. */
export function applyFault(fault: Fault, ctx: FaultContext): void;
/** Ends every answer a stall mode holds open, and those of requests already on their way to one. */
export function releaseHeld(): void;
/** The release epoch (bumped by releaseHeld). */
export function currentEpoch(): number;
/** Offsets of the parts of a multipart body, or undefined when `contentType` is not multipart. */
export function splitMultipart(
  contentType: string | undefined,
  body: Buffer,
):
  | {
      parts: { start: number; headersStart: number; headersEnd: number; bodyStart: number; bodyEnd: number }[];
      close: number;
    }
  | undefined;

// Types for nginx.mjs.

/** 'public-only': requests with Authorization or a cookie bypass the cache; 'per-credential': the credential is in the key. */
export type NginxAuthPolicy = 'public-only' | 'per-credential';

export interface NginxOptions {
  /** `http://127.0.0.1:PORT` of the DICOMweb server; its `/dicom-web/` is proxied and cached. */
  upstream: string;
  /** A directory served at `/` (a test or bench page on the same origin). */
  staticRoot?: string;
  /** @default 'public-only' */
  auth?: NginxAuthPolicy;
  /** `proxy_cache_valid` for 200 answers without caching headers of their own. @default '1h' */
  validFor?: string;
  /** Replaces the server's Cache-Control towards browsers; unset, the server's header passes unchanged. */
  browserCacheControl?: string;
  /** `proxy_cache_lock`: concurrent misses of one key wait for the first answer. @default true */
  cacheLock?: boolean;
  /** @default '127.0.0.1' */
  host?: string;
}

export interface NginxLogEntry {
  /** Wall-clock ms when the answer ended. */
  time: number;
  method: string;
  uri: string;
  status: number;
  /** $upstream_cache_status: HIT, MISS, BYPASS, EXPIRED, ...; '' when no cache was involved. */
  cache: string;
  bytes: number;
  accept: string;
  requestMs: number;
}

export interface NginxServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  pid: number;
  configFile: string;
  cacheDir: string;
  /** The access log as the file is now; an answer's line is written after its last byte went out. */
  readLog(): NginxLogEntry[];
  /** The access log once every answer received before the call is in it (a logged mark request, awaited). */
  settledLog(): Promise<NginxLogEntry[]>;
  clearLog(): void;
  /** Graceful stop (SIGQUIT, then SIGKILL after 5 s); removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

export function dicomwebCacheLocation(
  options: Pick<NginxOptions, 'upstream' | 'auth' | 'validFor' | 'browserCacheControl' | 'cacheLock'>,
): string;
export function startNginx(options: NginxOptions): Promise<NginxServer>;
export function findNginxBinary(): string;

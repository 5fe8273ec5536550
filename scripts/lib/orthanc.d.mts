// Types for orthanc.mjs (plain JS so it runs before node_modules exists).

export interface OrthancAuth {
  username: string;
  password: string;
}

export interface StartOrthancOptions {
  /** `HttpCompressionEnabled` (Orthanc gzips answers when the client accepts it). @default true */
  compression?: boolean;
  /** Turns on HTTP Basic authentication with this single user. @default undefined (no auth) */
  auth?: OrthancAuth;
  /** Storage and index directory. @default a fresh directory under os.tmpdir() */
  storageDir?: string;
  /** Keep the temporary run directory (config, log, default storage) after stop(). @default false */
  keepStorage?: boolean;
  /** `MaximumStorageCacheSize` in MB (Orthanc's read cache of stored files). @default 512 */
  maximumStorageCacheSizeMb?: number;
  /** `HttpThreadsCount`. @default 50 */
  httpThreadsCount?: number;
  /** Start Orthanc with --verbose. @default false */
  verbose?: boolean;
}

export interface OrthancServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `url + '/dicom-web'` */
  dicomWebUrl: string;
  port: number;
  dicomPort: number;
  pid: number;
  storageDir: string;
  logFile: string;
  configFile: string;
  auth: OrthancAuth | undefined;
  /** `{ Authorization: 'Basic …' }` when auth is set, else `{}`. */
  headers: Record<string, string>;
  /**
   * Stops Orthanc and removes the temp dir (unless keepStorage). Orthanc is killed at once when its
   * storage is thrown away, else shut down gracefully (~2.5 s). Idempotent. A started Orthanc does not
   * keep this process alive, and is killed when the process exits.
   */
  stop(): Promise<void>;
}

export interface OrthancUploadResult {
  ID: string;
  ParentSeries: string;
  ParentStudy: string;
  Status: string;
  Path: string;
}

export interface OrthancSeries {
  ID: string;
  ParentStudy: string;
  Instances: string[];
  MainDicomTags: Record<string, string>;
}

export function startOrthanc(options?: StartOrthancOptions): Promise<OrthancServer>;
export function uploadDicomFiles(
  orthanc: Pick<OrthancServer, 'url' | 'headers'>,
  files: readonly string[],
): Promise<OrthancUploadResult[]>;
export function listSeries(orthanc: Pick<OrthancServer, 'url' | 'headers'>): Promise<OrthancSeries[]>;
export function findOrthancBinary(): string;

// Types for dmv-page.mjs.
export interface DmvPageLogEntry {
  method: string;
  path: string;
  accept: string;
  status: number;
  /** performance.now() of this process when the request arrived, and when its answer ended (0: not yet). */
  startedAt: number;
  endedAt: number;
}

export interface DmvPage {
  /** `http://127.0.0.1:PORT` (demo/dmv.html is at `${url}/dmv.html`). */
  url: string;
  /** Requests forwarded to /dicom-web, in order. */
  log: DmvPageLogEntry[];
  stop(): Promise<void>;
}

export interface BuiltDmvPage extends DmvPage {
  /** The origin the browser sees when a proxy stands in front (sent to Orthanc as `Forwarded`). */
  setPublicOrigin(origin: string | undefined): void;
}

/** demo/dmv.html on a Vite dev server; target: Orthanc's REST root. */
export function startDmvPage(options: { target: string; port?: number }): Promise<DmvPage>;
/** Builds demo/dmv.html for production (.artifacts/dmv-page/); resolves with the directory. */
export function buildDmvPage(): Promise<string>;
/** The built page on a static server (gzip, no browser caching). */
export function startBuiltDmvPage(options: { target: string; dir?: string }): Promise<BuiltDmvPage>;
/** Adds ImageType DERIVED\PRIMARY\VOLUME\NONE to each instance of the series (UIDs kept); resolves with their count. */
export function addVolumeImageType(orthancUrl: string, seriesInstanceUid: string): Promise<number>;

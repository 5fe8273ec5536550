// Types for dmv-page.mjs.
export interface DmvPageLogEntry {
  method: string;
  path: string;
  accept: string;
  status: number;
}

export interface DmvPage {
  /** `http://127.0.0.1:PORT` (demo/dmv.html is at `${url}/dmv.html`). */
  url: string;
  /** Requests forwarded to /dicom-web, in order. */
  log: DmvPageLogEntry[];
  stop(): Promise<void>;
}

/** link: each forwarded request waits latencyMs; answers share one FIFO of mbps megabits/s. */
export function startDmvPage(options: {
  target: string;
  port?: number;
  link?: { latencyMs: number; mbps: number };
}): Promise<DmvPage>;
/** Adds ImageType DERIVED\PRIMARY\VOLUME\NONE to each instance of the series (UIDs kept); resolves with their count. */
export function addVolumeImageType(orthancUrl: string, seriesInstanceUid: string): Promise<number>;

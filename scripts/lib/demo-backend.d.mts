// Types for demo-backend.mjs.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const DICOMWEB_PATH: string;
export const CONFIG_PATH: string;

export function createDemoBackend(options: {
  /** The DICOMweb root, e.g. http://127.0.0.1:8042/dicom-web */
  target: string;
  serverLabel?: string;
  defaultSeries?: { studyInstanceUid: string; seriesInstanceUid: string };
  token?: string;
}): (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

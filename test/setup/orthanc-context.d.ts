// What test/setup/orthanc.global.ts provides to the integration tests (`inject('orthanc')`).
import type { SampleSlide, SampleSlideName } from '../../scripts/lib/sample-slides.mjs';

export interface OrthancSlide extends SampleSlide {
  /** `${dicomWebUrl}/studies/${studyInstanceUid}/series/${seriesInstanceUid}` */
  seriesUrl: string;
}

export interface OrthancContext {
  /** Orthanc REST root, `http://127.0.0.1:PORT` (no auth, HTTP compression on). */
  url: string;
  /** DICOMweb root, `url + '/dicom-web'`. */
  dicomWebUrl: string;
  /** A recording proxy in front of that Orthanc (CORS for browser tests, request log, faults). */
  proxy: { url: string; dicomWebUrl: string };
  /** Every sample slide of .data/slides, uploaded to that Orthanc. */
  slides: Record<SampleSlideName, OrthancSlide>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    orthanc: OrthancContext;
  }
}

// Starts Orthanc on loopback with the sample slide (made once under .data/, reused) and keeps it
// running until Ctrl-C. The viewer page comes with the demo issue; today this serves the slide.
import { startOrthanc, uploadDicomFiles } from './lib/orthanc.mjs';
import { ensureSampleSlides } from './lib/sample-slides.mjs';

const manifest = ensureSampleSlides();
const orthanc = await startOrthanc({});
await uploadDicomFiles(orthanc, manifest.slides.jpeg.files);
const { studyInstanceUid, seriesInstanceUid } = manifest.slides.jpeg;
console.log(`Orthanc with the sample slide: ${orthanc.url}`);
console.log(`DICOMweb series: ${orthanc.dicomWebUrl}/studies/${studyInstanceUid}/series/${seriesInstanceUid}`);
console.log('The viewer page is not built yet; press Ctrl-C to stop Orthanc.');
await new Promise((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
await orthanc.stop();

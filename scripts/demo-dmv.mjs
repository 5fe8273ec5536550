// `npm run demo:dmv`: dicom-microscopy-viewer, unmodified, on the sample slide in a local Orthanc
// (demo/dmv.html), with a switch for the serveFrames Service Worker and its live stats. The
// sample slide gets ImageType (which the dicomizer leaves out and the viewer needs) in Orthanc
// only. Ctrl-C stops everything it started. The npm and Debian packages are installed first,
// before anything imports them (as in scripts/demo.mjs).
import { DEMO_PACKAGES, ensureDebianPackages, ensureNpmDeps } from './lib/deps.mjs';

ensureNpmDeps();
ensureDebianPackages(DEMO_PACKAGES);
const { addVolumeImageType, startDmvPage } = await import('./lib/dmv-page.mjs');
const { startOrthanc, uploadDicomFiles } = await import('./lib/orthanc.mjs');
const { ensureSampleSlides } = await import('./lib/sample-slides.mjs');

const port = Number(process.env.PORT ?? 5174);
const slide = ensureSampleSlides().slides.jpeg;
const orthanc = await startOrthanc({ compression: true });
await uploadDicomFiles(orthanc, slide.files);
await addVolumeImageType(orthanc.url, slide.seriesInstanceUid);
const page = await startDmvPage({ target: orthanc.url, port });
const query = `study=${slide.studyInstanceUid}&series=${slide.seriesInstanceUid}`;
console.log(`dicom-microscopy-viewer demo: ${page.url}/dmv.html?${query}`);
console.log(`  with the Service Worker:     ${page.url}/dmv.html?sw=1&${query}`);
const stop = async () => {
  await page.stop().catch(() => undefined);
  await orthanc.stop().catch(() => undefined);
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

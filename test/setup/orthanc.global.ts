// Vitest globalSetup of the 'integration' project: makes the sample slides (.data/slides, reused
// when present), starts one Orthanc on a free loopback port with a temporary storage, uploads every
// sample and provides `inject('orthanc')`. The returned teardown stops Orthanc; orthanc.mjs also
// kills it if this process ends any other way.
import type { TestProject } from 'vitest/node';
import { startOrthanc, uploadDicomFiles } from '../../scripts/lib/orthanc.mjs';
import { startProxy } from '../../scripts/lib/proxy.mjs';
import type { SampleSlideName } from '../../scripts/lib/sample-slides.mjs';
import { ensureSampleSlides } from '../../scripts/lib/sample-slides.mjs';
import type { OrthancContext, OrthancSlide } from './orthanc-context.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const manifest = ensureSampleSlides();
  const started = performance.now();
  const orthanc = await startOrthanc({ compression: true });
  let stopProxy = async (): Promise<void> => undefined;
  try {
    const files = Object.values(manifest.slides).flatMap((slide) => slide.files);
    const uploaded = await uploadDicomFiles(orthanc, files);
    const slides = {} as Record<SampleSlideName, OrthancSlide>;
    for (const [name, slide] of Object.entries(manifest.slides) as [SampleSlideName, OrthancSlide][]) {
      const seriesUrl = `${orthanc.dicomWebUrl}/studies/${slide.studyInstanceUid}/series/${slide.seriesInstanceUid}`;
      slides[name] = { ...slide, seriesUrl };
    }
    // Browser tests reach Orthanc through a recording proxy (CORS headers, request log, faults).
    const proxy = await startProxy({ target: orthanc.url });
    stopProxy = () => proxy.stop();
    const context: OrthancContext = {
      url: orthanc.url,
      dicomWebUrl: orthanc.dicomWebUrl,
      proxy: { url: proxy.url, dicomWebUrl: `${proxy.url}/dicom-web` },
      slides,
    };
    project.provide('orthanc', context);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `[orthanc] ${orthanc.url} (pid ${orthanc.pid}): ${uploaded.length} instances uploaded, ready in ${seconds} s`,
    );
  } catch (error) {
    await stopProxy();
    await orthanc.stop();
    throw error;
  }
  return async () => {
    await stopProxy();
    await orthanc.stop();
  };
}

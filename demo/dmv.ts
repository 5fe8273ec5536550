// dicom-microscopy-viewer, set up exactly as its README does (dicomweb-client, series metadata,
// one VLWholeSlideMicroscopyImage per instance, VolumeImageViewer.render), with a switch that
// registers the serveFrames Service Worker first (the viewer is not changed) and its live stats.
import { api } from 'dicomweb-client';
import { registerFrameServiceWorker, type FrameServiceWorker } from '../src/index.js';
import { installDmvProbe } from './dmv-probe.js';

interface Dmv {
  metadata: { VLWholeSlideMicroscopyImage: new (o: { metadata: unknown }) => { ImageType: string[] } };
  viewer: {
    VolumeImageViewer: new (o: { client: unknown; metadata: unknown[] }) => {
      render(o: { container: HTMLElement }): void;
    };
  };
}

const params = new URLSearchParams(location.search);
const useSw = params.get('sw') === '1';
const toggle = document.querySelector<HTMLInputElement>('#use-sw')!;
const statsBox = document.querySelector<HTMLElement>('#stats')!;
toggle.checked = useSw;
toggle.addEventListener('change', async () => {
  // Turning it off must also stop it controlling this page: unregister, then reload.
  if (!toggle.checked) for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
  params.set('sw', toggle.checked ? '1' : '0');
  location.search = params.toString();
});

async function seriesToShow(): Promise<{ study: string; series: string }> {
  const study = params.get('study');
  const series = params.get('series');
  if (study !== null && series !== null) return { study, series };
  const config = (await (await fetch('./demo-config.json')).json()) as {
    defaultSeries?: { studyInstanceUid: string; seriesInstanceUid: string };
  };
  if (config.defaultSeries === undefined) throw new Error('No series: pass ?study=…&series=…');
  return { study: config.defaultSeries.studyInstanceUid, series: config.defaultSeries.seriesInstanceUid };
}

async function main(): Promise<void> {
  let sw: FrameServiceWorker | undefined;
  if (useSw) {
    // The dev server compiles dmv-sw.ts on request; a build emits it as dmv-sw.js (scripts/lib/dmv-page.mjs).
    const dev = (import.meta as ImportMeta & { env?: { DEV?: boolean } }).env?.DEV === true;
    sw = await registerFrameServiceWorker(new URL(dev ? './dmv-sw.ts' : './dmv-sw.js', location.href));
    setInterval(async () => {
      const s = await sw!.stats();
      statsBox.textContent = `served ${s.served}/${s.frameRequests} tile requests, ${s.cache.requests} requests to the server, ${(s.cache.memoryBytes / 1e6).toFixed(1)} MB cached`;
    }, 500);
  } else if (navigator.serviceWorker?.controller) {
    for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
    location.reload();
    return;
  }
  const { study, series } = await seriesToShow();
  // The viewer's own build (its README's dynamic-import flavour), served at /dicom-microscopy-viewer/.
  const dmvPath = '/dicom-microscopy-viewer/dicomMicroscopyViewer.min.js';
  // A UMD bundle: imported as a module it defines the global `dicomMicroscopyViewer`.
  const imported = (await import(/* @vite-ignore */ dmvPath)) as { default?: Dmv };
  const DMV = imported.default ?? (globalThis as unknown as { dicomMicroscopyViewer: Dmv }).dicomMicroscopyViewer;
  // dicomweb-client's declarations mark optional options as required: cast, as its README calls it.
  const client = new api.DICOMwebClient({ url: `${location.origin}/dicom-web` } as ConstructorParameters<
    typeof api.DICOMwebClient
  >[0]);
  const metadata = (await client.retrieveSeriesMetadata({
    studyInstanceUID: study,
    seriesInstanceUID: series,
  } as never)) as unknown[];
  const volumeImages = [];
  for (const m of metadata) {
    const image = new DMV.metadata.VLWholeSlideMicroscopyImage({ metadata: m });
    const flavor = image.ImageType[2];
    if (flavor === 'VOLUME' || flavor === 'THUMBNAIL') volumeImages.push(image);
  }
  const viewer = new DMV.viewer.VolumeImageViewer({ client, metadata: volumeImages });
  const probe = installDmvProbe(viewer);
  (window as unknown as { dmvDemo: object }).dmvDemo = {
    ...probe,
    stats: () => sw?.stats(),
    /** Empties the worker's cache and stats (a cold start with the worker installed). */
    reset: async () => {
      await sw?.clear();
      await sw?.resetStats();
    },
  };
  viewer.render({ container: document.querySelector<HTMLElement>('#viewport')! });
  document.title = 'dmv rendered';
}

main().catch((error: unknown) => {
  statsBox.textContent = `Error: ${String(error)}`;
  // The test and the bench stop at once with this message rather than wait for a view.
  (window as unknown as { dmvDemo: object }).dmvDemo = { error: String(error) };
  document.title = 'dmv failed';
  console.error(error);
});

// What a chunk size costs the archive (docs/scheduler.md, "Aligned chunks"): the 768-frame
// 'jpeg' sample level read from Node over loopback, straight from a fresh Orthanc (gzip on, as
// the bench's default), in aligned frame lists of each size with 1-3 requests in flight.
// Orthanc parses the whole file for every frames request, so the number of requests, not the
// bytes, sets the time. Prints one line per round: size x in-flight: total ms (mean ms to the
// first byte of a request).
//
//   node scripts/bench-chunks.mjs [--rounds N]
import { DEBIAN_PACKAGES, ensureDebianPackages, ensureNpmDeps } from './lib/deps.mjs';

ensureNpmDeps();
ensureDebianPackages(DEBIAN_PACKAGES);
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3);
const { ensureSampleSlides } = await import('./lib/sample-slides.mjs');
const { startOrthanc, uploadDicomFiles } = await import('./lib/orthanc.mjs');

const ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const SHAPES = [
  [32, 2],
  [64, 2],
  [64, 3],
  [128, 2],
  [128, 3],
  [256, 2],
  [256, 3],
  [384, 2],
  [768, 1],
];

const sample = ensureSampleSlides({ quiet: true }).slides.jpeg;
const orthanc = await startOrthanc({ compression: true, maximumStorageCacheSizeMb: 1024 });
try {
  await uploadDicomFiles(orthanc, sample.files);
  const level = sample.levels[0].instances[0];
  const base = `${orthanc.url}/dicom-web/studies/${sample.studyInstanceUid}/series/${sample.seriesInstanceUid}/instances/${level.sopInstanceUid}/frames/`;
  const read = async (size, inFlight) => {
    const lists = [];
    for (let first = 1; first <= level.frameCount; first += size) {
      const last = Math.min(level.frameCount, first + size - 1);
      lists.push(Array.from({ length: last - first + 1 }, (_, i) => first + i).join(','));
    }
    const start = performance.now();
    const firstByte = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < lists.length) {
          const list = lists[next++];
          const sent = performance.now();
          const response = await fetch(base + list, { headers: { accept: ACCEPT } });
          firstByte.push(performance.now() - sent);
          if (!response.ok) throw new Error(`HTTP ${response.status} for a list of ${size}`);
          await response.arrayBuffer();
        }
      }),
    );
    const mean = firstByte.reduce((a, b) => a + b, 0) / firstByte.length;
    return `${size}x${inFlight}: ${(performance.now() - start).toFixed(0)} ms (${mean.toFixed(0)})`;
  };
  await read(level.frameCount, 1); // unmeasured: Orthanc reads the file into its storage cache
  console.log(`${level.frameCount} frames, ${rounds} rounds; size x in flight: total (mean ms to first byte)`);
  for (let round = 0; round < rounds; round++) {
    const row = [];
    for (const [size, inFlight] of SHAPES) row.push(await read(size, inFlight));
    console.log(row.join('  '));
  }
} finally {
  await orthanc.stop();
}

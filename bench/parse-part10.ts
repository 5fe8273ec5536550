/**
 * Part 10 frame extraction speed: readPart10Frames (and Part10StreamReader in 64 KiB chunks)
 * vs dcmjs `DicomMessage.readFile` vs dicom-parser (`parseDicom` + `readEncapsulatedImageFrame`
 * for every frame), on the same bytes in the same run:
 *  - small: 768 JPEG-like frames of ~7.5 KB (FFD8 ... FFD9), one fragment each, Basic Offset Table (~5.7 MB);
 *  - large: 4000 frames of 25 KB (~100 MB).
 * Run (Node 20 cannot strip types; Vite's module runner can):
 *   node --input-type=module -e "import { runnerImport } from 'vite'; await runnerImport('./bench/parse-part10.ts')"
 * PART10_BENCH_DCMJS_LARGE=1 also times dcmjs on the large file: one parse took ~390 s here.
 * BENCH_JSON=<file> also writes the figures as JSON (`npm run bench` collects them).
 */

import { writeFileSync } from 'node:fs';
import dicomParser from 'dicom-parser';
// @ts-expect-error -- dcmjs ships no type declarations
import dcmjsModule from 'dcmjs';
import { readPart10Frames } from '../src/part10/part10.js';
import { Part10StreamReader } from '../src/part10/part10-stream.js';
import { encapsulatedInstance, jpegLike } from '../test/helpers/part10-writer.js';

const dcmjs = dcmjsModule as { data: { DicomMessage: { readFile(buffer: ArrayBuffer, options?: object): unknown } } };

interface Case {
  name: string;
  file: Uint8Array;
  frames: number;
}

function buildCase(name: string, frames: number, frameBytes: number): Case {
  const data = Array.from({ length: frames }, (_, i) => [jpegLike(frameBytes + 2 * (i % 16) - 16, i + 1)]);
  return { name, file: encapsulatedInstance({ frames: data, table: 'bot' }), frames };
}

function timeRuns(runs: number, body: () => void): number {
  body(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    body();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function readWithDicomParser(file: Uint8Array): Uint8Array[] {
  const dataSet = dicomParser.parseDicom(file);
  const pixelData = dataSet.elements['x7fe00010']!;
  const count = dataSet.intString('x00280008') ?? 1;
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i += 1) frames.push(dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, i));
  return frames;
}

function readStreaming(file: Uint8Array, chunkBytes: number): number {
  let count = 0;
  const reader = new Part10StreamReader(() => {
    count += 1;
  });
  for (let at = 0; at < file.length; at += chunkBytes) reader.push(file.subarray(at, at + chunkBytes));
  reader.end();
  return count;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function mb(bytes: number, ms: number): string {
  const rate = bytes / 1e6 / (ms / 1000);
  return rate.toFixed(rate < 10 ? 2 : 0).padStart(7);
}

const cases = [buildCase('small (768 x 7.5 KB)', 768, 7500), buildCase('large (4000 x 25 KB)', 4000, 25_000)];
const dcmjsLarge = process.env['PART10_BENCH_DCMJS_LARGE'] === '1';

const results: { case: string; reader: string; mbPerS: number; ms: number }[] = [];
const record = (caseName: string, reader: string, bytes: number, ms: number): void => {
  results.push({ case: caseName, reader, mbPerS: bytes / 1e6 / (ms / 1000), ms });
};

console.log(`node ${process.version}; MB/s (median); x = readPart10Frames speed / peer speed`);
for (const { name, file, frames } of cases) {
  const small = file.length < 20e6;
  // Same frames from every reader.
  const ours = readPart10Frames(file).frames;
  const theirs = readWithDicomParser(file);
  if (
    ours.length !== frames ||
    theirs.length !== frames ||
    !same(ours[0]!, theirs[0]!) ||
    !same(ours[frames - 1]!, theirs[frames - 1]!)
  ) {
    throw new Error(`${name}: readers disagree`);
  }
  const oursMs = timeRuns(small ? 40 : 8, () => readPart10Frames(file));
  const streamMs = timeRuns(small ? 40 : 8, () => readStreaming(file, 65536));
  const parserMs = timeRuns(small ? 40 : 8, () => readWithDicomParser(file));
  let dcmjsMs: number | undefined;
  if (small || dcmjsLarge) {
    const buffer = file.slice().buffer;
    dcmjsMs = small
      ? timeRuns(3, () => dcmjs.data.DicomMessage.readFile(buffer))
      : timeRuns(1, () => dcmjs.data.DicomMessage.readFile(buffer));
  }
  record(name, 'readPart10Frames', file.length, oursMs);
  record(name, 'Part10StreamReader 64 KiB', file.length, streamMs);
  record(name, 'dicom-parser parse+frames', file.length, parserMs);
  if (dcmjsMs !== undefined) record(name, 'dcmjs DicomMessage.readFile', file.length, dcmjsMs);
  console.log(`\n${name}: ${(file.length / 1e6).toFixed(1)} MB, ${frames} frames`);
  console.log(`  readPart10Frames              ${mb(file.length, oursMs)} MB/s  (${oursMs.toFixed(2)} ms)`);
  console.log(`  Part10StreamReader 64 KiB     ${mb(file.length, streamMs)} MB/s  (${streamMs.toFixed(2)} ms)`);
  console.log(
    `  dicom-parser parse+frames     ${mb(file.length, parserMs)} MB/s  (${parserMs.toFixed(2)} ms)  x${(parserMs / oursMs).toFixed(1)}`,
  );
  if (dcmjsMs !== undefined) {
    console.log(
      `  dcmjs DicomMessage.readFile   ${mb(file.length, dcmjsMs)} MB/s  (${dcmjsMs.toFixed(0)} ms)  x${(dcmjsMs / oursMs).toFixed(0)}`,
    );
  }
}

const jsonOut = process.env['BENCH_JSON'];
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ node: process.version, results }, null, 2));

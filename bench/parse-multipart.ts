/**
 * Throughput of the multipart/related parsers on frame-shaped bodies.
 *
 *   node -e "import('vite').then((vite) => vite.runnerImport('./bench/parse-multipart.ts'))"
 *
 * (Node 20 cannot run .ts itself; Vite's module runner transpiles it, no extra package.)
 * Bodies: 768 parts of ~7.5 KB (a 768-tile JPEG level) and 400 parts of 256 KB, Orthanc's
 * part headers and a 70-character boundary, random bytes as pixel data. The streaming runs
 * push 64 KiB chunks, each its own buffer as fetch delivers them.
 * BENCH_JSON=<file> also writes the figures as JSON (`npm run bench` collects them).
 */
import { writeFileSync } from 'node:fs';
import { MultipartStreamParser, parseMultipartRelated } from '../src/transport/multipart.js';
import type { MultipartEvents } from '../src/transport/multipart.js';
import {
  ORTHANC_LIKE_BOUNDARY,
  buildMultipart,
  noiseBytes,
  orthancContentType,
  orthancFrameHeaders,
} from '../test/helpers/multipart-builder.js';

const CHUNK_BYTES = 64 * 1024;
const INSTANCE_URL =
  'http://127.0.0.1:8042/dicom-web/studies/1.2.276.0.7230010.3.1.2.8323328.8403.1795634012.751591' +
  '/series/1.2.276.0.7230010.3.1.3.8323328.8403.1795634012.751592' +
  '/instances/1.2.276.0.7230010.3.1.4.8323328.8403.1795634012.751601';

function makeBody(partCount: number, meanPartBytes: number): Uint8Array {
  const parts = [];
  for (let i = 0; i < partCount; i++) {
    // JPEG tiles vary in size: +-25% around the mean.
    const length = Math.round(meanPartBytes * (0.75 + ((i * 7919) % 1000) / 2000));
    parts.push({ headers: orthancFrameHeaders(INSTANCE_URL, i + 1, length), body: noiseBytes(length, i + 1) });
  }
  return buildMultipart(parts, { boundary: ORTHANC_LIKE_BOUNDARY });
}

function chunksOf(body: Uint8Array, size: number): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < body.length; at += size) chunks.push(body.slice(at, at + size));
  return chunks;
}

/** Median MB/s (10^6 bytes per second) over `runs` timed runs after `warmup` untimed ones. */
function measure(bytes: number, runs: number, run: () => number): { mbps: number; parts: number } {
  let parts = 0;
  for (let i = 0; i < 3; i++) parts = run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    parts = run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  return { mbps: bytes / 1e6 / (median / 1000), parts };
}

function streamRun(chunks: Uint8Array[], events: MultipartEvents, counter: { parts: number }): number {
  counter.parts = 0;
  const parser = new MultipartStreamParser(ORTHANC_LIKE_BOUNDARY, events);
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return counter.parts;
}

const results: { case: string; reader: string; mbPerS: number }[] = [];

function benchBody(label: string, body: Uint8Array, expectedParts: number, runs: number): void {
  const contentType = orthancContentType();
  const chunks = chunksOf(body, CHUNK_BYTES);
  const counter = { parts: 0 };
  let sink = 0;
  const rows: [string, { mbps: number; parts: number }][] = [
    [
      'one-shot parseMultipartRelated',
      measure(body.length, runs, () => parseMultipartRelated(contentType, body).length),
    ],
    [
      'stream 64 KiB, onPart (assembled)',
      measure(body.length, runs, () =>
        streamRun(
          chunks,
          {
            onPart: (part) => {
              sink += part.body.length;
              counter.parts++;
            },
          },
          counter,
        ),
      ),
    ],
    [
      'stream 64 KiB, onPartData + onPartEnd',
      measure(body.length, runs, () =>
        streamRun(
          chunks,
          {
            onPartData: (bytes) => {
              sink += bytes.length;
            },
            onPartEnd: () => {
              counter.parts++;
            },
          },
          counter,
        ),
      ),
    ],
  ];
  console.log(`${label}: ${(body.length / 1e6).toFixed(1)} MB, ${expectedParts} parts, ${chunks.length} chunks`);
  for (const [name, result] of rows) {
    if (result.parts !== expectedParts) throw new Error(`${name}: ${result.parts} parts, expected ${expectedParts}`);
    console.log(`  ${name.padEnd(40)} ${result.mbps.toFixed(0).padStart(6)} MB/s`);
    results.push({ case: label, reader: name, mbPerS: result.mbps });
  }
  if (sink < 0) console.log(sink); // keeps the sink alive
}

benchBody('768 parts x ~7.5 KB', makeBody(768, 7500), 768, 41);
benchBody('400 parts x ~256 KB', makeBody(400, 256 * 1024), 400, 11);

const jsonOut = process.env['BENCH_JSON'];
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ node: process.version, results }, null, 2));

/**
 * The fuzz corpus: REAL bodies. Part 10 files are the sample slides' small instances as
 * OrthancWSIDicomizer wrote them (.data/slides, generated once); their reference frames come from
 * dicom-parser, an independent reader. Multipart bodies are Orthanc's frames and instance answers
 * for those files, written in Orthanc's exact form (header order, 70-character boundary, close
 * delimiter + CRLF); test/integration/faults-corpus.test.ts checks that form against live Orthanc.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import dicomParser from 'dicom-parser';
import { REPO_ROOT } from '../../scripts/lib/deps.mjs';
import { ensureSampleSlides, type SampleInstance, type SampleSlideName } from '../../scripts/lib/sample-slides.mjs';
import {
  ORTHANC_LIKE_BOUNDARY,
  buildMultipart,
  orthancContentType,
  orthancFrameHeaders,
} from '../helpers/multipart-builder.js';

export interface Part10Sample {
  name: string;
  bytes: Uint8Array;
  /** Frames as dicom-parser reads them. */
  frames: Uint8Array[];
  /** Offsets where structure lives (meta group, dataset elements, pixel data items): mutations aim near them. */
  hot: number[];
}

export interface MultipartSample {
  name: string;
  contentType: string;
  body: Uint8Array;
  parts: { headers: Record<string, string>; body: Uint8Array }[];
  hot: number[];
}

/** The Orthanc-style base URL written into Content-Location (the host is Orthanc's own). */
export const ORTHANC_INSTANCE_URL = 'http://127.0.0.1:8042/dicom-web/studies/1.2.3/series/1.2.4/instances/1.2.5';

function sampleFile(slide: SampleSlideName, level: number): SampleInstance {
  const manifest = ensureSampleSlides({ quiet: true });
  const instance = manifest.slides[slide].levels[level]?.instances[0];
  if (instance === undefined) throw new Error(`no sample ${slide} level ${level}`);
  return instance;
}

function readSample(slide: SampleSlideName, level: number): Uint8Array {
  const file = sampleFile(slide, level).file;
  const bytes = readFileSync(resolve(REPO_ROOT, file));
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Frames of a Part 10 file by dicom-parser, copied. The frame count is NumberOfFrames (1 when
 * absent), except that a non-empty Basic Offset Table has one entry per frame (PS3.5 A.4);
 * without a table a single frame is all the fragments, several frames are found by dicom-parser.
 */
export function dicomParserFrames(bytes: Uint8Array): Uint8Array[] {
  const dataSet = dicomParser.parseDicom(bytes);
  const pixelData = dataSet.elements['x7fe00010'];
  if (pixelData === undefined) return [];
  const bot = pixelData.encapsulatedPixelData ? pixelData.basicOffsetTable : undefined;
  const count = bot !== undefined && bot.length > 0 ? bot.length : Number(dataSet.string('x00280008') ?? '1');
  const frames: Uint8Array[] = [];
  if (pixelData.encapsulatedPixelData && (bot === undefined || bot.length === 0) && count === 1) {
    // PS3.5 A.4: a single frame is all the fragments.
    frames.push(
      Uint8Array.from(
        dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, 0, pixelData.fragments?.length ?? 0),
      ),
    );
  } else if (pixelData.encapsulatedPixelData) {
    const table = pixelData.basicOffsetTable?.length
      ? pixelData.basicOffsetTable
      : dicomParser.createJPEGBasicOffsetTable(dataSet, pixelData);
    for (let i = 0; i < count; i++)
      frames.push(Uint8Array.from(dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, i, table)));
  } else {
    const size = Math.floor(pixelData.length / count);
    for (let i = 0; i < count; i++)
      frames.push(bytes.slice(pixelData.dataOffset + i * size, pixelData.dataOffset + (i + 1) * size));
  }
  return frames;
}

/** Offsets of element tags before the pixel data and of every item tag (FFFE,E000) after it. */
function part10Hot(bytes: Uint8Array): number[] {
  const hot = [0, 128, 132, 140];
  const dataSet = dicomParser.parseDicom(bytes);
  for (const element of Object.values(dataSet.elements))
    hot.push(Math.max(0, element.dataOffset - 8), element.dataOffset);
  const pixelData = dataSet.elements['x7fe00010'];
  if (pixelData !== undefined) {
    hot.push(pixelData.dataOffset - 12, pixelData.dataOffset + pixelData.length);
    for (let i = pixelData.dataOffset; i + 4 <= bytes.length; i++) {
      if (
        bytes[i] === 0xfe &&
        bytes[i + 1] === 0xff &&
        bytes[i + 2] === 0x00 &&
        (bytes[i + 3] === 0xe0 || bytes[i + 3] === 0xdd)
      )
        hot.push(i, i + 4);
    }
  }
  return [...new Set(hot)].filter((at) => at >= 0 && at < bytes.length).sort((a, b) => a - b);
}

/**
 * The same file with its Basic Offset Table emptied (item length 0): a real file that takes the
 * "one fragment per frame" path of the reader instead of the table.
 */
function withoutOffsetTable(bytes: Uint8Array): Uint8Array | undefined {
  const dataSet = dicomParser.parseDicom(bytes);
  const pixelData = dataSet.elements['x7fe00010'];
  if (!pixelData?.encapsulatedPixelData) return undefined;
  const item = pixelData.dataOffset; // FFFE,E000 + length of the offset table item
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tableLength = view.getUint32(item + 4, true);
  if (tableLength === 0) return undefined;
  const out = new Uint8Array(bytes.length - tableLength);
  out.set(bytes.subarray(0, item + 4));
  new DataView(out.buffer).setUint32(item + 4, 0, true);
  out.set(bytes.subarray(item + 8 + tableLength), item + 8);
  return out;
}

let part10: Part10Sample[] | undefined;

/** Small real instances: JPEG (4 frames, 1 frame), JPEG 2000 (1 frame), native implicit VR (1 frame), and a BOT-less variant. */
export function part10Corpus(): Part10Sample[] {
  if (part10 !== undefined) return part10;
  const files: [string, Uint8Array][] = [
    ['jpeg 4 frames', readSample('jpeg', 4)],
    ['jpeg 1 frame', readSample('jpeg', 5)],
    ['jpeg2000 1 frame', readSample('jpeg2000', 3)],
    ['native 1 frame', readSample('none', 3)],
  ];
  const stripped = withoutOffsetTable(files[0]![1]);
  if (stripped) files.push(['jpeg 4 frames, empty offset table', stripped]);
  part10 = files.map(([name, bytes]) => ({ name, bytes, frames: dicomParserFrames(bytes), hot: part10Hot(bytes) }));
  return part10;
}

function multipartHot(body: Uint8Array): number[] {
  const hot: number[] = [0];
  for (let i = 0; i + 1 < body.length; i++) {
    if (body[i] === 0x0d && body[i + 1] === 0x0a) hot.push(i, i + 2);
  }
  return hot.filter((at) => at < body.length);
}

/** Orthanc's frames answer body: parts in Orthanc's header order, its boundary form, close delimiter + CRLF. */
export function orthancFramesAnswer(
  frames: readonly Uint8Array[],
  instanceUrl: string,
  boundary: string = ORTHANC_LIKE_BOUNDARY,
) {
  const parts = frames.map((frame, i) => ({
    headers: orthancFrameHeaders(instanceUrl, i + 1, frame.length),
    body: frame,
  }));
  return { body: buildMultipart(parts, { boundary }), contentType: orthancContentType(boundary), parts };
}

/** Orthanc's whole-instance answer body (multipart/related; type="application/dicom"). */
export function orthancInstanceAnswer(file: Uint8Array, boundary: string = ORTHANC_LIKE_BOUNDARY) {
  const headers: [string, string][] = [
    ['Content-Type', 'application/dicom'],
    ['Content-Length', String(file.length)],
    ['MIME-Version', '1.0'],
  ];
  return {
    body: buildMultipart([{ headers, body: file }], { boundary }),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
    parts: [{ headers, body: file }],
  };
}

function lowerCased(headers: [string, string][]): Record<string, string> {
  return Object.fromEntries(headers.map(([k, v]) => [k.toLowerCase(), v]));
}

let multipart: MultipartSample[] | undefined;

/** Orthanc's frames answer for the 4-frame JPEG instance, and its instance answer for the 1-frame one. */
export function multipartCorpus(): MultipartSample[] {
  if (multipart !== undefined) return multipart;
  const [four, one] = part10Corpus();
  const frames = orthancFramesAnswer(four!.frames, ORTHANC_INSTANCE_URL);
  const instance = orthancInstanceAnswer(one!.bytes);
  multipart = [
    {
      name: 'frames answer, 4 JPEG frames',
      contentType: frames.contentType,
      body: frames.body,
      parts: frames.parts.map((p) => ({ headers: lowerCased(p.headers), body: p.body })),
      hot: multipartHot(frames.body),
    },
    {
      name: 'instance answer, 1-frame JPEG file',
      contentType: instance.contentType,
      body: instance.body,
      parts: instance.parts.map((p) => ({ headers: lowerCased(p.headers), body: p.body })),
      hot: multipartHot(instance.body).filter((at) => at < 400 || at > instance.body.length - 400),
    },
  ];
  return multipart;
}

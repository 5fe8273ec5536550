// The real-server path: the Orthanc started by test/setup/orthanc.global.ts with the sample slides.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { OrthancServer } from '../../scripts/lib/orthanc.mjs';
import { startOrthanc } from '../../scripts/lib/orthanc.mjs';

const FRAMES_ACCEPT = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';
const INSTANCE_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

interface Part {
  headers: string;
  body: Buffer;
}

/** A minimal multipart/related splitter, enough to check what Orthanc sends. */
function splitMultipart(contentType: string, body: Buffer): Part[] {
  const match = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) throw new Error(`no boundary in ${contentType}`);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Part[] = [];
  let start = body.indexOf(delimiter);
  while (start >= 0) {
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next < 0) throw new Error('unterminated multipart body');
    const part = body.subarray(afterDelimiter + 2, next - 2); // drop the CRLFs around the part
    const headerEnd = part.indexOf('\r\n\r\n');
    parts.push({ headers: part.subarray(0, headerEnd).toString('latin1'), body: part.subarray(headerEnd + 4) });
    start = next;
  }
  return parts;
}

async function getBytes(url: string, accept: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers: { ...headers, Accept: accept } });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

describe('Orthanc test server', () => {
  const orthanc = inject('orthanc');
  const jpeg = orthanc.slides.jpeg;
  const base = jpeg.levels[0]!.instances[0]!;
  const instanceUrl = `${jpeg.seriesUrl}/instances/${base.sopInstanceUid}`;

  describe('GET /system', () => {
    it('answers 200 with the Orthanc version', async () => {
      const response = await fetch(`${orthanc.url}/system`);
      expect(response.status).toBe(200);
      const system = (await response.json()) as { Version: string };
      expect(system.Version).toMatch(/^\d+\.\d+/);
    });
  });

  describe('DICOMweb series metadata', () => {
    it('lists the 6 level instances of the jpeg sample', async () => {
      const response = await fetch(`${jpeg.seriesUrl}/metadata`, { headers: { Accept: 'application/dicom+json' } });
      expect(response.status).toBe(200);
      const instances = (await response.json()) as Array<Record<string, { Value?: unknown[] }>>;
      expect(instances.length).toBeGreaterThanOrEqual(6);
      const frameCounts = instances.map((instance) => Number(instance['00280008']?.Value?.[0]));
      expect(frameCounts.toSorted((a, b) => b - a)).toEqual([768, 192, 48, 12, 4, 1]);
    });

    it.each(['jpeg2000', 'none', 'split'] as const)('lists every instance of the %s sample', async (name) => {
      const slide = orthanc.slides[name];
      const response = await fetch(`${slide.seriesUrl}/metadata`, { headers: { Accept: 'application/dicom+json' } });
      expect(response.status).toBe(200);
      const instances = (await response.json()) as unknown[];
      expect(instances).toHaveLength(slide.files.length);
    });
  });

  describe('WADO-RS frames', () => {
    it('answers frames 1,2,3 of the base level as three parts holding the stored JPEG bytes', async () => {
      const { response, body } = await getBytes(`${instanceUrl}/frames/1,2,3`, FRAMES_ACCEPT);
      expect(response.status).toBe(200);
      const contentType = response.headers.get('content-type') ?? '';
      expect(contentType).toMatch(/^multipart\/related/);
      const parts = splitMultipart(contentType, body);
      expect(parts).toHaveLength(3);
      const stored = readFileSync(base.file);
      for (const part of parts) {
        expect([...part.body.subarray(0, 2)]).toEqual([0xff, 0xd8]);
        expect(stored.indexOf(part.body)).toBeGreaterThan(0);
      }
    });

    it('answers 400 to a frame number past the end of the instance', async () => {
      const { response } = await getBytes(`${instanceUrl}/frames/${base.frameCount + 1}`, FRAMES_ACCEPT);
      expect(response.status).toBe(400);
    });
  });

  describe('WADO-RS instance', () => {
    it('answers the whole Part 10 instance as stored to multipart/related; type="application/dicom"', async () => {
      const { response, body } = await getBytes(instanceUrl, INSTANCE_ACCEPT);
      expect(response.status).toBe(200);
      const parts = splitMultipart(response.headers.get('content-type') ?? '', body);
      expect(parts).toHaveLength(1);
      expect(parts[0]!.body.subarray(128, 132).toString('latin1')).toBe('DICM');
      expect(parts[0]!.body.byteLength).toBe(base.sizeBytes);
    });
  });

  describe('sample slides', () => {
    it('split the base level of the split sample over >= 3 concatenated instances', () => {
      const level = orthanc.slides.split.levels[0]!;
      expect(level.instances.length).toBeGreaterThanOrEqual(3);
      const offsets = level.instances.map((instance) => instance.frameOffset);
      const expectedOffsets = level.instances.map((_, i) =>
        level.instances.slice(0, i).reduce((sum, instance) => sum + instance.frameCount, 0),
      );
      expect(offsets).toEqual(expectedOffsets);
      expect(level.frameCount).toBe(
        Math.ceil(level.width / level.tileWidth) * Math.ceil(level.height / level.tileHeight),
      );
    });
  });
});

describe('startOrthanc()', () => {
  describe('with auth', () => {
    let server: OrthancServer;
    beforeAll(async () => {
      server = await startOrthanc({ auth: { username: 'alice', password: 's3cret' }, compression: false });
    });
    afterAll(() => server.stop());

    it('answers 401 without credentials', async () => {
      const response = await fetch(`${server.url}/system`);
      await response.arrayBuffer();
      expect(response.status).toBe(401);
    });

    it('answers 200 with a Basic Authorization header', async () => {
      const authorization = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;
      const response = await fetch(`${server.dicomWebUrl}/studies`, {
        headers: { Authorization: authorization, Accept: 'application/dicom+json' },
      });
      await response.arrayBuffer();
      expect(response.status).toBe(200);
    });
  });

  describe('stop()', () => {
    it('ends the Orthanc process and removes its temporary storage', async () => {
      const server = await startOrthanc();
      expect(existsSync(server.storageDir)).toBe(true);
      await server.stop();
      expect(existsSync(server.storageDir)).toBe(false);
      expect(() => process.kill(server.pid, 0)).toThrow();
    });
  });
});

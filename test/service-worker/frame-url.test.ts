import { describe, expect, it } from 'vitest';
import {
  isMultipartAccept,
  matchFrameRequest,
  matchMetadataRequest,
  resolveRoots,
} from '../../src/service-worker/frame-url.js';

const roots = resolveRoots(['/dicom-web/', 'https://pacs.example/wado'], 'https://app.example/viewer/sw.js');
const instance = 'https://app.example/dicom-web/studies/1.2/series/1.3/instances/1.4';

describe('resolveRoots()', () => {
  it('makes same-origin paths absolute and drops trailing slashes', () => {
    expect(roots).toEqual(['https://app.example/dicom-web', 'https://pacs.example/wado']);
  });
});

describe('matchFrameRequest()', () => {
  it('names the instance and the frames in the requested order', () => {
    expect(matchFrameRequest(`${instance}/frames/3,1,3`, roots)).toEqual({
      root: 'https://app.example/dicom-web',
      instanceUrl: instance,
      frameNumbers: [3, 1, 3],
    });
    expect(
      matchFrameRequest('https://pacs.example/wado/studies/1/series/2/instances/3/frames/7', roots)?.instanceUrl,
    ).toBe('https://pacs.example/wado/studies/1/series/2/instances/3');
  });

  it('accepts a percent-encoded comma list', () => {
    expect(matchFrameRequest(`${instance}/frames/1%2C2`, roots)?.frameNumbers).toEqual([1, 2]);
  });

  it.each([
    ['another origin', 'https://evil.example/dicom-web/studies/1/series/2/instances/3/frames/1'],
    ['a path outside the roots', 'https://app.example/other/studies/1/series/2/instances/3/frames/1'],
    ['a root that is only a prefix', 'https://app.example/dicom-webx/studies/1/series/2/instances/3/frames/1'],
    ['frame 0', `${instance}/frames/0`],
    ['an empty item', `${instance}/frames/1,,2`],
    ['a non-number', `${instance}/frames/1,a`],
    ['a query', `${instance}/frames/1?x=1`],
    ['rendered frames', `${instance}/frames/1/rendered`],
    ['the instance itself', instance],
    ['metadata', `${instance}/metadata`],
    ['not a URL', 'not a url'],
  ])('ignores %s', (_, url) => {
    expect(matchFrameRequest(url, roots)).toBeUndefined();
  });
});

describe('matchMetadataRequest()', () => {
  it.each([
    'https://app.example/dicom-web/studies/1.2/metadata',
    'https://app.example/dicom-web/studies/1.2/series/1.3/metadata',
    `${instance}/metadata`,
  ])('finds the root of %s', (url) => {
    expect(matchMetadataRequest(url, roots)).toBe('https://app.example/dicom-web');
  });

  it('ignores other requests', () => {
    expect(matchMetadataRequest(`${instance}/frames/1`, roots)).toBeUndefined();
    expect(matchMetadataRequest('https://app.example/dicom-web/studies?PatientID=1', roots)).toBeUndefined();
  });
});

describe('isMultipartAccept()', () => {
  it('accepts multipart/related only', () => {
    expect(isMultipartAccept('multipart/related; type="application/octet-stream"; transfer-syntax=*')).toBe(true);
    expect(isMultipartAccept('Multipart/Related')).toBe(true);
    expect(isMultipartAccept('image/jpeg')).toBe(false);
    expect(isMultipartAccept('*/*')).toBe(false);
    expect(isMultipartAccept(null)).toBe(false);
  });
});

/** The studies and slide series on the server (QIDO-RS), for the picker. */

type HeadersFunction = (url: string) => Record<string, string>;

interface JsonAttribute {
  vr?: string;
  Value?: unknown[];
}
type JsonDataset = Record<string, JsonAttribute | undefined>;

export interface StudySummary {
  studyInstanceUid: string;
  patientName: string;
  patientId: string;
  date: string;
  description: string;
  modalities: string[];
}

export interface SeriesSummary {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  description: string;
  number: string;
  instanceCount: number | undefined;
}

const ACCEPT = 'application/dicom+json';

async function qido(root: string, path: string, headers: HeadersFunction): Promise<JsonDataset[]> {
  const url = `${root}${path}`;
  const response = await fetch(url, { headers: { ...headers(url), Accept: ACCEPT } });
  if (response.status === 204) return [];
  if (!response.ok) throw new Error(`GET ${path}: HTTP ${response.status} ${response.statusText}`.trimEnd());
  const body: unknown = await response.json();
  if (!Array.isArray(body)) throw new Error(`GET ${path}: not a JSON array`);
  return body as JsonDataset[];
}

function text(dataset: JsonDataset, tag: string): string {
  const value = dataset[tag]?.Value?.[0];
  if (value === undefined || value === null) return '';
  if (typeof value === 'object') return String((value as { Alphabetic?: string }).Alphabetic ?? '');
  return String(value);
}

function texts(dataset: JsonDataset, tag: string): string[] {
  return (dataset[tag]?.Value ?? []).map(String);
}

/** Studies holding slide microscopy (SM) series; servers that ignore the filter are filtered here. */
export async function listSlideStudies(root: string, headers: HeadersFunction): Promise<StudySummary[]> {
  const datasets = await qido(root, '/studies?ModalitiesInStudy=SM&includefield=00081030&limit=500', headers);
  return datasets
    .map((d) => ({
      studyInstanceUid: text(d, '0020000D'),
      patientName: text(d, '00100010').replaceAll('^', ' ').trim(),
      patientId: text(d, '00100020'),
      date: text(d, '00080020'),
      description: text(d, '00081030'),
      modalities: texts(d, '00080061'),
    }))
    .filter((s) => s.studyInstanceUid !== '' && (s.modalities.length === 0 || s.modalities.includes('SM')));
}

export async function listSlideSeries(
  root: string,
  studyInstanceUid: string,
  headers: HeadersFunction,
): Promise<SeriesSummary[]> {
  const datasets = await qido(
    root,
    `/studies/${encodeURIComponent(studyInstanceUid)}/series?Modality=SM&includefield=0008103E`,
    headers,
  );
  return datasets
    .filter((d) => text(d, '00080060') === '' || text(d, '00080060') === 'SM')
    .map((d) => {
      const count = Number(text(d, '00201209'));
      return {
        studyInstanceUid,
        seriesInstanceUid: text(d, '0020000E'),
        description: text(d, '0008103E'),
        number: text(d, '00200011'),
        instanceCount: Number.isFinite(count) && count > 0 ? count : undefined,
      };
    })
    .filter((s) => s.seriesInstanceUid !== '');
}

export function describeStudy(study: StudySummary): string {
  const date = /^\d{8}$/.test(study.date)
    ? `${study.date.slice(0, 4)}-${study.date.slice(4, 6)}-${study.date.slice(6)}`
    : study.date;
  return [study.patientName || study.patientId || 'Unnamed', date, study.description]
    .filter((part) => part !== '')
    .join(' · ');
}

export function describeSeries(series: SeriesSummary): string {
  const name = series.description || (series.number === '' ? 'Series' : `Series ${series.number}`);
  return series.instanceCount === undefined ? name : `${name} (${series.instanceCount} instances)`;
}

/**
 * Where the demo reads its settings: /demo-config.json from the demo server (DICOMweb path, the
 * default series, an optional bearer token) and the page URL (series, hint, spill, drawer), so a
 * reload or a shared link shows the same thing. The token lives in memory only.
 */
import type { Hint } from '../src/index.js';

export interface SeriesChoice {
  studyInstanceUid: string;
  seriesInstanceUid: string;
}

export interface ServerConfig {
  /** Absolute DICOMweb root, e.g. http://127.0.0.1:5173/dicom-web */
  dicomWebRoot: string;
  serverLabel: string;
  defaultSeries: SeriesChoice | undefined;
  token: string | undefined;
}

export interface PageState {
  series: SeriesChoice | undefined;
  hint: Hint;
  spill: boolean;
  drawer: 'canvas' | 'webgl';
}

const HINTS: readonly Hint[] = ['minimize-requests', 'minimize-latency', 'no-wait'];
const UID = /^[0-9.]{1,64}$/;

export async function loadServerConfig(): Promise<ServerConfig> {
  let body: Record<string, unknown> = {};
  try {
    const response = await fetch(new URL('demo-config.json', location.href), { cache: 'no-store' });
    if (response.ok) body = (await response.json()) as Record<string, unknown>;
  } catch {
    // A static copy of the demo without its server: same-origin /dicom-web, no token.
  }
  const path = typeof body['dicomWebPath'] === 'string' ? body['dicomWebPath'] : '/dicom-web';
  const series = body['defaultSeries'] as Partial<SeriesChoice> | undefined;
  return {
    dicomWebRoot: new URL(path, location.origin).href.replace(/\/+$/, ''),
    serverLabel: typeof body['serverLabel'] === 'string' ? body['serverLabel'] : location.host,
    defaultSeries: isChoice(series) ? series : undefined,
    token: typeof body['token'] === 'string' && body['token'] !== '' ? body['token'] : undefined,
  };
}

function isChoice(value: Partial<SeriesChoice> | undefined): value is SeriesChoice {
  return value !== undefined && UID.test(value.studyInstanceUid ?? '') && UID.test(value.seriesInstanceUid ?? '');
}

export function readPageState(): PageState {
  const params = new URLSearchParams(location.search);
  const series = { studyInstanceUid: params.get('study') ?? '', seriesInstanceUid: params.get('series') ?? '' };
  const hint = params.get('hint') as Hint | null;
  return {
    series: isChoice(series) ? series : undefined,
    hint: hint !== null && HINTS.includes(hint) ? hint : 'minimize-requests',
    spill: params.get('spill') === '1',
    drawer: params.get('drawer') === 'webgl' ? 'webgl' : 'canvas',
  };
}

export function writePageState(state: PageState): void {
  const params = new URLSearchParams(location.search);
  const set = (key: string, value: string | undefined): void => {
    if (value === undefined) params.delete(key);
    else params.set(key, value);
  };
  set('study', state.series?.studyInstanceUid);
  set('series', state.series?.seriesInstanceUid);
  set('hint', state.hint === 'minimize-requests' ? undefined : state.hint);
  set('spill', state.spill ? '1' : undefined);
  set('drawer', state.drawer === 'canvas' ? undefined : state.drawer);
  const query = params.toString();
  history.replaceState(null, '', `${location.pathname}${query === '' ? '' : `?${query}`}${location.hash}`);
}

/** The headers function given to openSlide, FrameCache and the QIDO calls. */
export function headersFor(config: ServerConfig): (url: string) => Record<string, string> {
  const { dicomWebRoot, token } = config;
  // Only requests to our DICOMweb root carry the token: the app decides per URL.
  return (url): Record<string, string> =>
    token !== undefined && (url === dicomWebRoot || url.startsWith(`${dicomWebRoot}/`))
      ? { Authorization: `Bearer ${token}` }
      : {};
}

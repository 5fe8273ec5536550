/**
 * Which requests the Service Worker answers: WADO-RS frame retrievals under a configured root
 * (`{root}/studies/{study}/series/{series}/instances/{sop}/frames/{list}`), and which it only
 * watches: metadata answers under a root (their NumberOfFrames).
 */
import type { RouterRule } from './sw-globals.js';

export interface FrameRequest {
  /** The root the URL is under (absolute, no trailing slash). */
  root: string;
  /** `{root}/studies/{study}/series/{series}/instances/{sop}`: the engine's instance key. */
  instanceUrl: string;
  /** 1-based, in the requested order (repeats kept: the server answers each). */
  frameNumbers: number[];
}

const UID = '[0-9.]+';
// Case-sensitive, as the server's paths are (a path in other letters is the server's to refuse);
// only the percent-encoded comma may come in either case.
const FRAMES_PATH = new RegExp(`^/studies/(${UID})/series/(${UID})/instances/(${UID})/frames/((?:[0-9,]|%2[cC])+)/?$`);
const METADATA_PATH = new RegExp(`^/studies/${UID}(?:/series/${UID}(?:/instances/${UID})?)?/metadata/?$`);
const MAX_FRAMES_PER_REQUEST = 10_000;

/** Roots as absolute URLs without a trailing slash; same-origin paths resolved against `base`. */
export function resolveRoots(roots: readonly string[], base: string): string[] {
  return roots.map((root) => new URL(root, base).href.replace(/\/+$/, ''));
}

/** The root `url` is under, and the path below it; undefined when under none (or has a query). */
function underRoot(url: URL, roots: readonly string[]): { root: string; rest: string } | undefined {
  if (url.search !== '' || url.hash !== '') return undefined;
  const href = `${url.origin}${url.pathname}`;
  for (const root of roots) {
    if (href.startsWith(`${root}/`)) return { root, rest: href.slice(root.length) };
  }
  return undefined;
}

/**
 * The frame request `url` names, or undefined when it is not one under `roots` (or lists
 * something the cache would not ask the server for: 0, a non-number, more than 10000 frames).
 */
export function matchFrameRequest(url: string, roots: readonly string[]): FrameRequest | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const under = underRoot(parsed, roots);
  if (under === undefined) return undefined;
  const match = FRAMES_PATH.exec(under.rest);
  if (match === null) return undefined;
  const list = decodeURIComponent(match[4]!).split(',');
  if (list.length > MAX_FRAMES_PER_REQUEST) return undefined;
  const frameNumbers: number[] = [];
  for (const item of list) {
    if (!/^[1-9][0-9]{0,8}$/.test(item)) return undefined;
    frameNumbers.push(Number(item));
  }
  return {
    root: under.root,
    instanceUrl: `${under.root}/studies/${match[1]}/series/${match[2]}/instances/${match[3]}`,
    frameNumbers,
  };
}

/** The root of a metadata URL (study, series or instance level), or undefined. */
export function matchMetadataRequest(url: string, roots: readonly string[]): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const under = underRoot(parsed, roots);
  return under !== undefined && METADATA_PATH.test(under.rest) ? under.root : undefined;
}

/** Only multipart/related Accept values are answered from the cache; the first range decides. */
export function isMultipartAccept(accept: string | null): accept is string {
  if (accept === null) return false;
  return /^\s*multipart\/related\s*(;|$)/i.test(accept);
}

/** URLPattern syntax characters, escaped where a root's path holds them literally. */
const PATTERN_SYNTAX = /[\\*+?(){}:]/g;

/**
 * The static route sending every request the worker neither answers nor reads to the network
 * (serve-frames.ts installs it): all but frame retrievals (`{root}/studies/…/frames/…`) and
 * metadata (`{root}/studies/…/metadata`, read for NumberOfFrames) under `roots` (absolute URLs).
 * It is the URLPattern twin of FRAMES_PATH and METADATA_PATH above: keep the two in step. Each
 * root's path is escaped; the search part is a wildcard (the fetch handler passes what it does
 * not answer).
 */
export function routePastWorker(roots: readonly string[]): RouterRule {
  const patterns = roots.flatMap((root) => {
    const url = new URL(root);
    const path = url.pathname.replace(/\/$/, '').replace(PATTERN_SYNTAX, '\\$&');
    const under = `${url.origin}${path}/studies/*`;
    return [{ urlPattern: `${under}/frames/*` }, { urlPattern: `${under}/metadata{/}?` }];
  });
  return { condition: { not: { or: patterns } }, source: 'network' };
}

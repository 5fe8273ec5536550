/**
 * Origins of the instance URLs seen lately: the start rules and the learners ask for the origin
 * of a request's instance at every frame of a visible answer and for every request in flight,
 * and `new URL()` costs ~10 µs a call in a worker's first seconds (docs/worker-cost.md, "URL
 * parsing on the frame path"). Instance URLs are few; the map is emptied when it fills.
 */
const ORIGINS_KEPT = 256;
const origins = new Map<string, string>();

/** The origin (scheme://host:port) of a URL, which the learners key their estimates by; the URL itself when it does not parse. */
export function originOf(url: string): string {
  const known = origins.get(url);
  if (known !== undefined) return known;
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    origin = url;
  }
  if (origins.size >= ORIGINS_KEPT) origins.clear();
  origins.set(url, origin);
  return origin;
}

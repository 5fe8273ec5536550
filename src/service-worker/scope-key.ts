/**
 * Auth scopes: frames are kept per (page namespace, hash of the credential-bearing request
 * headers, Accept), so two users of one browser never share frames and an answer is only built
 * from frames read with the same Accept. The headers themselves are never stored or logged;
 * only their SHA-256 names the scope.
 */

/** Request headers a block read carries (the viewer's own): all it set except these. */
const NOT_FORWARDED = new Set([
  'accept',
  'range',
  'if-range',
  'if-none-match',
  'if-modified-since',
  'if-match',
  'if-unmodified-since',
  'cache-control',
  'pragma',
]);

export function forwardedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name.toLowerCase())) out[name.toLowerCase()] = value;
  });
  return out;
}

function hex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Recent digests, so a view's tile requests hash once (memory only, like the headers themselves). */
const recent = new Map<string, Promise<string>>();
const MAX_RECENT = 16;

/**
 * `namespace` + SHA-256 of the Accept, the forwarded headers (sorted by name) and the request's
 * credentials mode: a request sent without cookies ('omit') is never answered from frames read
 * with them ('include', or 'same-origin' on the archive's own origin).
 */
export async function scopeKeyOf(
  namespace: string,
  accept: string,
  headers: Record<string, string>,
  credentials: RequestCredentials = 'same-origin',
): Promise<string> {
  const text = JSON.stringify([
    accept,
    Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    credentials,
  ]);
  let digest = recent.get(text);
  if (digest === undefined) {
    digest = crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)).then(hex);
    if (recent.size >= MAX_RECENT) recent.delete(recent.keys().next().value!);
    recent.set(text, digest);
    digest.catch(() => recent.delete(text));
  }
  return `${namespace}:${await digest}`;
}

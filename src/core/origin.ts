/** The origin (scheme://host:port) of a URL, which the learners key their estimates by; the URL itself when it does not parse. */
export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

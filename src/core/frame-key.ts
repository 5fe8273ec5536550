/**
 * The one key of a frame, `${instanceUrl}#${frameNumber}`: the memory LRU, the page's hot tier,
 * prefetch planning and the IndexedDB tier (behind its namespace) all use it. Keys of
 * `putExternal` carry a prefix no URL starts with, so the two never meet.
 */
export function frameKey(instanceUrl: string, frameNumber: number): string {
  return `${instanceUrl}#${frameNumber}`;
}

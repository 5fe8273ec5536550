// Debian's Chromium as the tests, the demo's end-to-end test and the benchmarks launch it.

/** The browser: Debian's package (`npx playwright install` cannot download here). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Flags that work as root in these containers (docs/server-and-browser-facts.md, "Chromium"); without the background-networking
 * ones Chromium's own connections are refused by the closed network, many at a time.
 */
export const CHROMIUM_ARGS = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Diagnosis only (scripts/first-view-ab.mjs): V8 flags such as --trace-opt.
  ...(process.env.BENCH_JS_FLAGS ? [`--js-flags=${process.env.BENCH_JS_FLAGS}`] : []),
]);

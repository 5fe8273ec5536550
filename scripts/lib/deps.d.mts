// Types for deps.mjs (plain JS: it runs before node_modules exists).

export const REPO_ROOT: string;
export const DEBIAN_PACKAGES: readonly string[];
/** The Debian packages `npm run demo` and `npm run demo:dmv` need (a subset of DEBIAN_PACKAGES). */
export const DEMO_PACKAGES: readonly string[];
/** Runs `npm ci` when node_modules is missing or from another package-lock.json; exits on failure. */
export function ensureNpmDeps(options?: { root?: string }): void;
/** Installs the missing Debian packages (root + apt-get), else prints the command and exits 1. */
export function ensureDebianPackages(names?: readonly string[]): void;
export function isDebianPackageInstalled(name: string): boolean;

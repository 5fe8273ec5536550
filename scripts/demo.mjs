// `npm run demo`: see scripts/demo-server.mjs (started here so that the npm and Debian packages
// are installed first, before anything imports them).
import { DEBIAN_PACKAGES, ensureDebianPackages, ensureNpmDeps } from './lib/deps.mjs';

ensureNpmDeps();
ensureDebianPackages(DEBIAN_PACKAGES);
await import('./demo-server.mjs');

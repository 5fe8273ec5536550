// `npm run demo`: see scripts/demo-server.mjs (started here so that the npm and Debian packages
// are installed first, before anything imports them). --help needs nothing installed; --server
// (your own archive) needs no Debian package.
import { DEMO_PACKAGES, ensureDebianPackages, ensureNpmDeps } from './lib/deps.mjs';

const args = process.argv.slice(2);
const wantsHelp = args.includes('--help') || args.includes('-h');
const ownServer = args.some((arg) => arg === '--server' || arg.startsWith('--server='));

if (!wantsHelp) {
  ensureNpmDeps();
  if (!ownServer) ensureDebianPackages(DEMO_PACKAGES);
}
await import('./demo-server.mjs');

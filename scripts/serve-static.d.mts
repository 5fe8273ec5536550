// Types for serve-static.mjs.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The Content-Security-Policy the built demo is served with (no unsafe-eval, no unsafe-inline, workers from 'self'). */
export const STRICT_CSP: string;

export interface StaticServer {
  /** `http://HOST:PORT/` */
  url: string;
  port: number;
  close(): Promise<void>;
}

export function serveStatic(options: {
  dir: string;
  backend: (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
  host?: string;
  /** @default 0 (any free port) */
  port?: number;
  /** @default STRICT_CSP */
  csp?: string;
}): Promise<StaticServer>;

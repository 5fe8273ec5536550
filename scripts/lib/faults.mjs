// Fault modes of the test proxy. Each takes the upstream answer and breaks it one way.
// Filled in by the reliability work (issue 7); 'status-503' is enough for the first tests.

/**
 * @param {{ mode: string, retryAfter?: number }} fault
 * @param {{ up: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, status: number, headers: Record<string, unknown>, entry: { status: number, bytes: number } }} ctx
 */
export function applyFault(fault, { up, res, headers, entry }) {
  const statusMatch = /^status-(\d{3})$/.exec(fault.mode);
  if (statusMatch) {
    up.resume();
    const status = Number(statusMatch[1]);
    entry.status = status;
    const extra = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
    res.writeHead(status, { 'access-control-allow-origin': headers['access-control-allow-origin'], ...extra }).end(`injected ${status}`);
    return;
  }
  throw new Error(`unknown fault mode ${fault.mode}`);
}

// Types for proxy.mjs.
export interface ProxyLogEntry {
  method: string;
  path: string;
  status: number;
  bytes: number;
  fault: string | undefined;
}
export interface Fault {
  mode: string;
  /** Only requests whose path contains this. */
  match?: string;
  /** Only this many requests, then the fault stops. */
  times?: number;
  retryAfter?: number;
}
export interface TestProxy {
  url: string;
  port: number;
  log: ProxyLogEntry[];
  clearLog(): void;
  setFault(fault: Fault | undefined): void;
  stop(): Promise<void>;
}
export function startProxy(options: { target: string; host?: string }): Promise<TestProxy>;

// Types for proxy.mjs.
import type { Fault } from './faults.mjs';

export type { Fault, FaultMode } from './faults.mjs';

export interface ProxyLogEntry {
  method: string;
  path: string;
  status: number;
  bytes: number;
  fault: string | undefined;
  /** performance.now() of the proxy when the request arrived. */
  start: number;
  /** performance.now() of the proxy when its answer closed; undefined while open. */
  end: number | undefined;
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

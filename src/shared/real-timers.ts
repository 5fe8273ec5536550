/** The platform's setTimeout/clearTimeout as the `Timers` port (outside src/core: it reads globals). */
import type { Timers } from '../core/ports.js';

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

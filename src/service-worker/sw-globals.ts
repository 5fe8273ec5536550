/**
 * The few Service Worker globals this folder uses, typed structurally (the project's lib is DOM,
 * which has no ServiceWorkerGlobalScope). Read lazily: importing the entry touches no global.
 */

export interface FetchEventLike extends Event {
  readonly request: Request;
  readonly clientId: string;
  respondWith(response: Promise<Response> | Response): void;
  waitUntil(promise: Promise<unknown>): void;
}

export interface ExtendableEventLike extends Event {
  waitUntil(promise: Promise<unknown>): void;
}

/** A rule of the Service Worker static routing API (Chromium 123+), as far as this folder uses it. */
export interface RouterRule {
  condition: { not: { or: { urlPattern: string }[] } };
  source: 'network';
}

/** The install event, where the static routing API exists (`addRoutes`, Chromium 123+). */
export interface InstallEventLike extends ExtendableEventLike {
  addRoutes?(rules: RouterRule | RouterRule[]): Promise<void>;
}

export interface ExtendableMessageEventLike extends Event {
  readonly data: unknown;
  readonly ports: readonly MessagePort[];
  readonly source: { readonly id?: string } | null;
  waitUntil(promise: Promise<unknown>): void;
}

export interface ServiceWorkerScopeLike {
  readonly location: { readonly href: string; readonly origin: string };
  readonly clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void;
  addEventListener(type: 'install', listener: (event: InstallEventLike) => void): void;
  addEventListener(type: 'activate', listener: (event: ExtendableEventLike) => void): void;
  addEventListener(type: 'message', listener: (event: ExtendableMessageEventLike) => void): void;
  fetch: typeof fetch;
}

export function serviceWorkerScope(): ServiceWorkerScopeLike {
  return globalThis as unknown as ServiceWorkerScopeLike;
}

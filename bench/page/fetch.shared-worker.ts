// The module's architecture without the module (issue 11, the first view's floor): a
// SharedWorker that fetches the URLs it is sent, reads each body to its end and transfers the
// bodies back to the page. 'view-shared-worker' in view-readers.ts paints a view through it.
interface FetchJob {
  id: number;
  urls: string[];
  accept: string;
}

self.addEventListener('connect', (event: Event) => {
  const port = (event as MessageEvent).ports[0];
  if (port === undefined) return;
  port.addEventListener('message', (message: MessageEvent<FetchJob | 'ping'>) => {
    const job = message.data;
    if (job === 'ping') {
      port.postMessage('pong');
      return;
    }
    void Promise.all(
      job.urls.map(async (url) => {
        const response = await fetch(url, { headers: { Accept: job.accept } });
        const body = await response.arrayBuffer();
        return { ok: response.ok, body };
      }),
    ).then(
      (answers) =>
        port.postMessage(
          { id: job.id, answers },
          answers.map((a) => a.body),
        ),
      (error: unknown) => port.postMessage({ id: job.id, error: String(error) }),
    );
  });
  port.start();
});
export type { FetchJob };

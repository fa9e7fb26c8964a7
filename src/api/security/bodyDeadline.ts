import type { FastifyInstance } from 'fastify';

/** The routes that take uploads as multipart bodies: their bodies are paced part by part instead. */
const UPLOAD_ROUTES = new Set(['POST /api/v1/uploads', 'POST /graphql']);

/**
 * Ends requests whose body trickles in (they are at most 1 MiB): the socket is closed when the body has not arrived
 * `deadlineMs` (BODY_TIMEOUT_SECONDS) after the headers, whatever the route and content type (a multipart body sent to /healthz too), except multipart bodies on
 * the upload routes, which `multipartParts` and `enforceUploadPace` pace from their first byte to their last.
 */
export function registerBodyDeadline(app: FastifyInstance, deadlineMs: number): void {
  app.addHook('onRequest', async (request) => {
    if (request.raw.complete) return;
    const multipart = /^multipart\//i.test(request.headers['content-type'] ?? '');
    if (multipart && UPLOAD_ROUTES.has(`${request.method} ${request.routeOptions.url}`)) return;
    const timer = setTimeout(() => {
      if (!request.raw.complete) request.raw.socket.destroy();
    }, deadlineMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    request.raw.once('end', clear);
    request.raw.once('close', clear);
  });
}

import type { FastifyInstance } from 'fastify';

/** A request body other than an upload must have arrived whole within this time (they are at most 1 MiB). */
export const BODY_DEADLINE_MS = 30_000;

/**
 * Ends requests whose (small, non-multipart) body trickles in: the socket is closed when the body has not arrived
 * BODY_DEADLINE_MS after the headers. Uploads (multipart) are paced by their own idle timeout and minimum rate.
 */
export function registerBodyDeadline(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    if (request.raw.complete || /^multipart\//i.test(request.headers['content-type'] ?? '')) return;
    const timer = setTimeout(() => {
      if (!request.raw.complete) request.raw.socket.destroy();
    }, BODY_DEADLINE_MS);
    timer.unref();
    const clear = () => clearTimeout(timer);
    request.raw.once('end', clear);
    request.raw.once('close', clear);
  });
}

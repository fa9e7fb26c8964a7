import { once } from 'node:events';
import http from 'node:http';

/**
 * An HTTP proxy in front of a real service, for fault tests: it forwards every request, and on demand
 * refuses connections (the service is "stopped") or swallows the reply of a matching request after the
 * service has acted on it (the reply is "lost").
 */
export class FaultyProxy {
  readonly #upstream: URL;
  readonly #server: http.Server;
  #down = false;
  #dropReplyOf: ((request: http.IncomingMessage) => boolean) | undefined;
  readonly requests: string[] = [];
  readonly droppedReplies: string[] = [];

  private constructor(upstream: string) {
    this.#upstream = new URL(upstream);
    this.#server = http.createServer((request, response) => void this.#forward(request, response));
  }

  static async start(upstream: string): Promise<FaultyProxy> {
    const proxy = new FaultyProxy(upstream);
    proxy.#server.listen(0, '127.0.0.1');
    await once(proxy.#server, 'listening');
    return proxy;
  }

  get url(): string {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('proxy not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  /** From now on every connection is reset, as if the service had stopped. */
  stopService(): void {
    this.#down = true;
    this.#server.closeAllConnections();
  }

  /** The next request matching `predicate` reaches the service, but its reply is thrown away. */
  dropNextReply(predicate: (request: http.IncomingMessage) => boolean): void {
    this.#dropReplyOf = predicate;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #forward(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const label = `${request.method} ${request.url}`;
    this.requests.push(label);
    if (this.#down) {
      request.socket.destroy();
      return;
    }
    const body: Buffer[] = [];
    for await (const chunk of request) body.push(chunk as Buffer);
    const target = new URL(request.url ?? '/', this.#upstream);
    const upstream = await fetch(target, {
      method: request.method,
      headers: Object.fromEntries(
        Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
      ) as Record<string, string>,
      body: body.length && request.method !== 'GET' ? Buffer.concat(body) : undefined,
    }).catch(() => undefined);
    if (!upstream || this.#down) {
      request.socket.destroy();
      return;
    }
    const reply = Buffer.from(await upstream.arrayBuffer());
    if (this.#dropReplyOf?.(request)) {
      this.#dropReplyOf = undefined;
      this.droppedReplies.push(label);
      request.socket.destroy();
      return;
    }
    response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
    response.end(reply);
  }
}

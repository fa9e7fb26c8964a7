import type { FastifyInstance } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';

/** graphql-ws (the graphql-transport-ws protocol) on the same port and path as POST /graphql. */
export function attachSubscriptionServer(app: FastifyInstance, schema: GraphQLSchema): void {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const server = useServer({ schema }, sockets);
  app.server.on('upgrade', (request, socket, head) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== '/graphql') {
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => sockets.emit('connection', client, request));
  });
  app.addHook('onClose', async () => {
    await server.dispose();
    for (const client of sockets.clients) client.terminate();
    await new Promise<void>((resolve) => sockets.close(() => resolve()));
  });
}

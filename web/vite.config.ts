import react from '@vitejs/plugin-react';
import { defineConfig, type ProxyOptions } from 'vite';

/** The API server that `npx vite web` (the dev server) forwards to. */
const API = 'http://127.0.0.1:8080';

/**
 * The server refuses a Host or Origin that is not its own (DNS rebinding, CSRF). The dev server's pages come from
 * another origin (e.g. http://localhost:5173), so the proxy presents them as the API's own: `changeOrigin` rewrites
 * Host, and Origin is rewritten on HTTP requests and WebSocket upgrades, but only when it is the dev server's own
 * origin, so pages of other sites stay refused. The session cookie (SameSite=Strict, no Domain) is kept for the dev
 * server's host.
 */
const toApi: ProxyOptions = {
  target: API,
  changeOrigin: true,
  ws: true,
  configure(proxy) {
    const rewrite = (
      proxyRequest: { setHeader(name: string, value: string): void },
      request: { headers: Record<string, string | string[] | undefined> },
    ) => {
      const { origin, host } = request.headers;
      if (typeof host === 'string' && (origin === `http://${host}` || origin === `https://${host}`)) {
        proxyRequest.setHeader('origin', API);
      }
    };
    proxy.on('proxyReq', rewrite);
    proxy.on('proxyReqWs', rewrite);
  },
};

/** Built by `npm run build:web` (`vite build web`): web/ is the root, output in web/dist, served by the API at `/`. */
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: true },
  server: {
    proxy: {
      '/graphql': toApi,
      '/api': toApi,
    },
  },
});

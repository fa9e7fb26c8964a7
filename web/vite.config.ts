import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** Built by `npm run build:web` (`vite build web`): web/ is the root, output in web/dist, served by the API at `/`. */
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: true },
  server: {
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:8080', ws: true },
      '/api': 'http://127.0.0.1:8080',
    },
  },
});

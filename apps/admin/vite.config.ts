import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In dev, /api goes to the API server (nginx does this in the composed setup).
const apiTarget = process.env.API_URL ?? 'http://localhost:3000';

export default defineConfig({
  plugins: [react()],
  server: { port: 5174, proxy: { '/api': { target: apiTarget, changeOrigin: false } } },
  preview: { port: 4174, proxy: { '/api': { target: apiTarget, changeOrigin: false } } },
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 1000 },
});

import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The build lands in ../dist, which the Go package embeds; assets are served
// under /ui/ and every page route (/agent/, /wallboard/) gets index.html.
export default defineConfig({
  base: '/ui/',
  plugins: [vue()],
  build: {
    outDir: '../dist',
    emptyOutDir: false, // dist/placeholder.html is committed
    target: 'es2022',
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes('node_modules/vue') || id.includes('node_modules/@vue')) return 'vue'
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/cti': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
  },
})

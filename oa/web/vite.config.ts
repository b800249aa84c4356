import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The build lands in ../oaui/dist, which the Go package oa/oaui embeds;
// assets are served under /ui/ and the index at / (the screens are hash
// routes: /#/tickets/12, the form the screen pop's links take).
export default defineConfig({
  base: '/ui/',
  plugins: [vue()],
  build: {
    outDir: '../oaui/dist',
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
    proxy: { '/api': 'http://127.0.0.1:8090' },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    // Element Plus's per-component style modules import its CSS: inlined,
    // they go through Vite (which drops CSS in tests) instead of Node.
    server: { deps: { inline: [/element-plus/] } },
  },
})

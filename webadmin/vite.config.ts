// The webadmin's own build: Preact through Vite, into dist/webadmin/ at the repository root.
// `base: './'` keeps asset URLs relative, so the same files work at /admin/ and on any origin.
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  plugins: [preact()],
  build: {
    outDir: '../dist/webadmin',
    emptyOutDir: true,
    // No inline scripts or styles: the CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});

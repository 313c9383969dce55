import { defineConfig } from "vite";

// The app loads only its own bundled files: no CDN, no remote fonts.
export default defineConfig({
  clearScreen: false,
  build: { target: "es2022", outDir: "dist", emptyOutDir: true, sourcemap: false, assetsInlineLimit: 0 },
  server: { strictPort: true, port: 1420 },
});

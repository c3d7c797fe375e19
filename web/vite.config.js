import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The binary serves the built page at /_s3cognito/app/ (and at / for a browser), so asset URLs are
// absolute under that path. The output is committed: `cargo build` embeds web/dist without npm.
export default defineConfig({
  base: "/_s3cognito/app/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // One page, no lazy routes: a warning about chunk size would only be noise.
    chunkSizeWarningLimit: 2048,
    sourcemap: false,
  },
});

import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The binary serves the built pages at /_s3cognito/app/ (and at / for a browser) and the dashboard at
// /_s3cognito/admin/, so asset URLs are absolute under one path that both pages share. The output is
// committed: `cargo build` embeds web/dist without npm.
export default defineConfig({
  base: "/_s3cognito/app/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // Two pages: the upload page and the monitoring dashboard. What they share (sign-in, Amplify, the
    // styles) is built once, in chunks both load.
    rolldownOptions: {
      input: { index: "index.html", admin: "admin.html" },
    },
    // Two pages, no lazy routes: a warning about chunk size would only be noise.
    chunkSizeWarningLimit: 2048,
    sourcemap: false,
  },
});

import { createReadStream, existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// Cross-origin isolation lets tfjs-wasm start its threads (SharedArrayBuffer).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// The repo's COCO test weights (AGPL-3.0: served for the demo, never bundled or published).
const COCO = fileURLToPath(new URL('../../fixtures/real/yolov8n-coco-fp16.safetensors', import.meta.url));

/** Serves /weights/yolov8n-coco.safetensors from the repo's fixtures in `vite` and `vite preview`. */
function cocoWeights(): Plugin {
  // returns nothing: a function returned from these hooks would be run as a post-middleware
  const serve = (server: { middlewares: { use: (path: string, fn: (req: unknown, res: import('node:http').ServerResponse) => void) => unknown } }): void => {
    server.middlewares.use('/weights/yolov8n-coco.safetensors', (_req, res) => {
      if (!existsSync(COCO)) {
        res.statusCode = 404;
        res.end(`not found: ${COCO}`);
        return;
      }
      res.setHeader('Content-Type', 'application/octet-stream');
      res.setHeader('Content-Length', String(statSync(COCO).size));
      for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
      createReadStream(COCO).pipe(res);
    });
  };
  return { name: 'coco-weights', configureServer: serve, configurePreviewServer: serve };
}

export default defineConfig({
  plugins: [cocoWeights()],
  server: { headers: isolation },
  preview: { headers: isolation },
  build: { target: 'es2022', chunkSizeWarningLimit: 2000 },
});

import { createReadStream, existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

// Cross-origin isolation lets tfjs-wasm start its threads (SharedArrayBuffer).
const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

// The repo's COCO test weights and ultralytics' int8 export (AGPL-3.0: served for the demo, never bundled or published).
const FILES: Record<string, string> = {
  '/weights/yolov8n-coco.safetensors': fileURLToPath(new URL('../../fixtures/real/yolov8n-coco-fp16.safetensors', import.meta.url)),
  '/weights/yolov8n-int8.onnx': fileURLToPath(new URL('../../fixtures/real/yolov8n-ultralytics-int8-dynamic.onnx', import.meta.url)),
};

/** Serves the files above from the repo's fixtures in `vite` and `vite preview`. */
function cocoWeights(): Plugin {
  // returns nothing: a function returned from these hooks would be run as a post-middleware
  const serve = (server: { middlewares: { use: (path: string, fn: (req: unknown, res: import('node:http').ServerResponse) => void) => unknown } }): void => {
    for (const [route, file] of Object.entries(FILES))
      server.middlewares.use(route, (_req, res) => {
        if (!existsSync(file)) {
          res.statusCode = 404;
          res.end(`not found: ${file}`);
          return;
        }
        res.setHeader('Content-Type', 'application/octet-stream');
        res.setHeader('Content-Length', String(statSync(file).size));
        for (const [k, v] of Object.entries(isolation)) res.setHeader(k, v);
        createReadStream(file).pipe(res);
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

// What '@tensorflow/tfjs' resolves to in core's browser build: tfjs-core with every gradient and the
// cpu and webgl backends, without tfjs-layers, -converter and -data (core uses none of them), which keeps
// a page's JavaScript about a third smaller. wasm comes from runtime.browser.ts, webgpu from the page.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';

export * from '@tensorflow/tfjs-core';

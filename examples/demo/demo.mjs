// The main job for now: build YOLOv8n (and its DySample variant) from YAML and print the ultralytics summary.
import { fileURLToPath } from 'node:url';
import { initBackend, parseModel } from '@yolomods/core';

const backend = await initBackend();
const yaml = fileURLToPath(new URL('../../packages/yolov8/configs/yolov8.yaml', import.meta.url));
const model = parseModel(yaml, { scale: 'n' });
const info = model.info({ imgsz: 640, verbose: true });
console.log(`\nbackend ${backend}:`, info);

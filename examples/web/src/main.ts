// The demo page: pick a model, drop a picture, see what YOLOv8 finds. Mechanisms are plain imports:
// each registers its blocks (with their channel rules) so their YAMLs build.
import '@yolomods/dysample';
import '@yolomods/akconv';
import '@yolomods/asff';
import '@yolomods/dat';
import '@yolomods/dynamicconv';
import { initBackend, tf, type BackendName } from '@yolomods/core';
import { drawResults, loadDetector, type Detector, type Results } from '@yolomods/yolov8';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import yolov8Yaml from '@yolomods/yolov8/configs/yolov8.yaml?raw';
import dysampleYaml from '@yolomods/dysample/configs/yolov8-DySample.yaml?raw';
import akconvYaml from '@yolomods/akconv/configs/yolov8-AKConv.yaml?raw';
import asffYaml from '@yolomods/asff/configs/yolov8-ASFF.yaml?raw';
import datYaml from '@yolomods/dat/configs/yolov8-DAttention.yaml?raw';
import dynYaml from '@yolomods/dynamicconv/configs/yolov8-DynamicConv.yaml?raw';
import c2fDynYaml from '@yolomods/dynamicconv/configs/yolov8-C2f-DynamicConv.yaml?raw';
import cocoData from '../../../fixtures/real/coco8/data.yaml?raw';
import { load as loadYaml } from 'js-yaml';

/** COCO's class names (ultralytics' dataset YAML), for .onnx files that carry none. */
const COCO_NAMES = Object.values((loadYaml(cocoData) as { names: Record<number, string> }).names);

/** A choice in the model list: weights from a URL (carrying their YAML), or a bundled YAML built untrained. */
interface ModelChoice {
  label: string;
  url?: string;
  yaml?: string;
}

const MODELS: Record<string, ModelChoice> = {
  coco: { label: 'yolov8n · COCO weights', url: '/weights/yolov8n-coco.safetensors' },
  onnx: { label: 'yolov8n · ultralytics int8 .onnx (onnxruntime-web)', url: '/weights/yolov8n-int8.onnx' },
  yolov8: { label: 'yolov8n.yaml (untrained)', yaml: yolov8Yaml },
  dysample: { label: 'yolov8n-DySample.yaml (untrained)', yaml: dysampleYaml },
  akconv: { label: 'yolov8n-AKConv.yaml (untrained)', yaml: akconvYaml },
  asff: { label: 'yolov8n-ASFF.yaml (untrained)', yaml: asffYaml },
  dat: { label: 'yolov8n-DAttention.yaml (untrained)', yaml: datYaml },
  dynamicconv: { label: 'yolov8n-DynamicConv.yaml (untrained)', yaml: dynYaml },
  c2fdynamicconv: { label: 'yolov8n-C2f-DynamicConv.yaml (untrained)', yaml: c2fDynYaml },
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $<HTMLParagraphElement>('status');
const modelSelect = $<HTMLSelectElement>('model');
const weightsInput = $<HTMLInputElement>('weights');
const backendSelect = $<HTMLSelectElement>('backend');
const confInput = $<HTMLInputElement>('conf');
const imageInput = $<HTMLInputElement>('image');
const webcamBox = $<HTMLInputElement>('webcam');
const drop = $<HTMLElement>('drop');
const canvas = $<HTMLCanvasElement>('canvas');

/** What the page last did, for people reading the console and for the browser tests. */
const state = { backend: '' as BackendName | '', model: '', loadMs: 0, results: null as Results | null, error: '', detector: null as Detector | null, tensors: () => tf.memory().numTensors };
Object.assign(window, { yolomods: state });

let detector: Detector | null = null;
let lastPicture: Blob | null = null;

function setStatus(text: string, pageState: 'loading' | 'ready' | 'busy' | 'done' | 'error'): void {
  status.textContent = text;
  document.body.dataset.state = pageState;
}

async function startBackend(): Promise<void> {
  const wanted = backendSelect.value as BackendName | '';
  // webgpu is an optional peer of core: loaded only where the browser has WebGPU.
  if ((wanted === '' || wanted === 'webgpu') && 'gpu' in navigator) await import('@tensorflow/tfjs-backend-webgpu').catch(() => {});
  const wasmPaths = { 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded };
  state.backend = await initBackend({ ...(wanted ? { backend: wanted } : {}), wasmPaths, log: false });
}

async function loadModel(): Promise<void> {
  const choice = MODELS[modelSelect.value]!;
  const file = weightsInput.files?.[0] ?? null;
  setStatus(`Loading ${file ? file.name : choice.label}…`, 'loading');
  const t0 = performance.now();
  const src = file ?? choice.url ?? null;
  const onnx = /\.onnx$/i.test(file?.name ?? choice.url ?? '');
  // onnxruntime-web is fetched only when an .onnx model is chosen (its own chunk and wasm binary)
  const ort = onnx ? await import('onnxruntime-web/wasm') : undefined;
  const next = await loadDetector(src, { ...(choice.yaml && !onnx ? { model: choice.yaml } : {}), scale: 'n', ...(ort ? { ort } : {}), ...(ort && !file ? { names: COCO_NAMES } : {}) });
  await detector?.dispose();
  detector = next;
  state.detector = next;
  state.model = file ? `${choice.label} + ${file.name}` : choice.label;
  state.loadMs = performance.now() - t0;
  setStatus(`${state.model} on ${onnx ? 'onnxruntime-web' : state.backend}${state.backend === 'wasm' ? ` (${crossOriginIsolated ? 'threads' : 'one thread'})` : ''} · loaded in ${state.loadMs.toFixed(0)} ms · ${tf.memory().numTensors} tensors`, 'ready');
}

function showResults(r: Results, picture: CanvasImageSource, w: number, h: number): void {
  const scale = Math.min(1, 960 / w);
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  drawResults(canvas, r, { image: picture });
  const times = $<HTMLTableElement>('times').tBodies[0]!;
  times.replaceChildren(
    ...Object.entries(r.speed).map(([stage, ms]) => row([stage, ms.toFixed(1)])),
    row([`input`, `${r.inputShape?.join('×') ?? ''}`]),
  );
  const dets = $<HTMLTableElement>('detections').tBodies[0]!;
  dets.replaceChildren(...r.toJSON().map((d) => row([d.name, d.confidence.toFixed(3), [d.box.x1, d.box.y1, d.box.x2, d.box.y2].map((v) => v.toFixed(0)).join(', ')])));
  state.results = r;
}

function row(cells: string[]): HTMLTableRowElement {
  const tr = document.createElement('tr');
  cells.forEach((c, i) => {
    const td = document.createElement('td');
    td.textContent = c;
    if (i > 0) td.className = 'num';
    tr.append(td);
  });
  return tr;
}

async function detectPicture(picture: Blob): Promise<void> {
  if (!detector) return;
  lastPicture = picture;
  setStatus(`Detecting in ${(picture as File).name ?? 'picture'}…`, 'busy');
  const r = await detector.predict(picture, { conf: Number(confInput.value), name: (picture as File).name ?? 'picture' });
  const bitmap = await createImageBitmap(picture);
  showResults(r, bitmap, bitmap.width, bitmap.height);
  bitmap.close();
  setStatus(`${r.summary()} · ${(r.speed.preprocess + r.speed.inference + r.speed.postprocess).toFixed(0)} ms on ${state.backend}`, 'done');
}

// Webcam: detect on each frame while the box is ticked.
let video: HTMLVideoElement | null = null;
async function webcamLoop(): Promise<void> {
  if (!webcamBox.checked) {
    video?.srcObject && (video.srcObject as MediaStream).getTracks().forEach((t) => t.stop());
    video = null;
    return;
  }
  if (!video) {
    video = document.createElement('video');
    video.muted = true;
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: true });
    await video.play();
  }
  if (detector && video.videoWidth) {
    const r = await detector.predict(video, { conf: Number(confInput.value), name: 'webcam' });
    showResults(r, video, video.videoWidth, video.videoHeight);
    setStatus(`webcam · ${r.summary()} · ${r.speed.inference.toFixed(0)} ms inference`, 'done');
  }
  requestAnimationFrame(() => void webcamLoop().catch(fail));
}

function fail(e: unknown): void {
  state.error = (e as Error).message ?? String(e);
  setStatus(`Error: ${state.error}`, 'error');
  console.error(e);
}

const guard = (fn: () => Promise<void>) => () => void fn().catch(fail);

for (const [value, { label }] of Object.entries(MODELS)) modelSelect.append(new Option(label, value));
// ?backend=wasm&model=dysample preselects (links, tests)
const query = new URLSearchParams(location.search);
if (query.has('backend')) backendSelect.value = query.get('backend')!;
if (query.has('model') && MODELS[query.get('model')!]) modelSelect.value = query.get('model')!;
modelSelect.onchange = guard(async () => {
  weightsInput.value = '';
  await loadModel();
  if (lastPicture) await detectPicture(lastPicture);
});
weightsInput.onchange = guard(loadModel);
backendSelect.onchange = guard(async () => {
  await startBackend();
  await loadModel();
});
imageInput.onchange = guard(async () => {
  const f = imageInput.files?.[0];
  if (f) await detectPicture(f);
});
webcamBox.onchange = guard(webcamLoop);
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = [...(e.dataTransfer?.files ?? [])].find((x) => x.type.startsWith('image/'));
  if (f) guard(() => detectPicture(f))();
});

guard(async () => {
  await startBackend();
  await loadModel();
})();

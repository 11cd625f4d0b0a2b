import type { Page } from 'playwright-core';

/** Debian's chromium (apt); playwright-core drives it and downloads nothing. */
export declare const CHROMIUM: string;
/** This example's folder. */
export declare const root: string;
/** `vite build` of the page into dist/. */
export declare function buildPage(): Promise<void>;
/** Serves dist/ cross-origin isolated and opens the page with `query`; resolves once the model is loaded. */
export declare function openPage(query?: string, opts?: { args?: string[]; timeout?: number }): Promise<{ page: Page; logs: string[]; close(): Promise<void> }>;
/** What the page shows after a drop. */
export interface Dropped {
  error: string;
  backend: string;
  detections: { name: string; class: number; confidence: number; box: { x1: number; y1: number; x2: number; y2: number } }[];
  speed: { decode: number; preprocess: number; inference: number; postprocess: number };
  inputShape: [number, number];
  summary: string;
}
/** Drops a picture on the page's drop zone (a real DataTransfer drop event) and waits for the detections. */
export declare function dropPicture(page: Page, bytes: Uint8Array, name: string, type?: string, timeout?: number): Promise<Dropped>;

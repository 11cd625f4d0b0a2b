import type { Rgb } from './data/rgb';

export { decodeImage } from './data/images';
export { letterbox, letterboxInput, scaleBoxes, toInput, type Letterboxed, type LetterboxedInput, type LetterboxInputOptions, type LetterboxOptions } from './letterbox';

/** A decoded RGB image in host memory (HWC, 3 bytes per pixel), upright. */
export type RgbImage = Rgb;

/** An RGB image in host memory, HWC. */
export interface Rgb {
  /** Pixels, row-major, 3 bytes each. */
  data: Uint8Array;
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
}

/**
 * Seeded generator (sfc32) whose whole state is four 32-bit words, so a checkpoint can store it and
 * a resumed run draws the same numbers an uninterrupted one would.
 */
export class Rng {
  #s: Uint32Array;

  constructor(seed: number | number[] = 0) {
    this.#s = new Uint32Array(4);
    if (Array.isArray(seed)) {
      this.#s.set(seed.map((v) => v >>> 0));
    } else {
      this.#s.set([0x9e3779b9, 0x243f6a88, 0xb7e15162, seed >>> 0]);
      for (let i = 0; i < 15; i++) this.nextU32();
    }
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const s = this.#s;
    const t = (((s[0]! + s[1]!) >>> 0) + s[3]!) >>> 0;
    s[3] = (s[3]! + 1) >>> 0;
    s[0] = s[1]! ^ (s[1]! >>> 9);
    s[1] = (s[2]! + (s[2]! << 3)) >>> 0;
    s[2] = ((s[2]! << 21) | (s[2]! >>> 11)) >>> 0;
    s[2] = (s[2]! + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  random(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.random();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.random() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = Math.max(this.random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }

  /** A copy of the state (for checkpoints). */
  get state(): number[] {
    return Array.from(this.#s);
  }

  set state(s: number[]) {
    if (s.length !== 4) throw new Error(`Rng state must have 4 words, got ${s.length}`);
    this.#s.set(s.map((v) => v >>> 0));
  }
}

/** Multiply-accumulate counting for model summaries: the core ops report what they compute. */
let active: { macs: number } | null = null;

/** Adds `macs` multiply-accumulates to the running count (no-op when nothing is counting). */
export function addMacs(macs: number): void {
  if (active) active.macs += macs;
}

/** Runs `fn` and returns how many multiply-accumulates the core ops performed inside it. */
export function countMacs<T>(fn: () => T): { result: T; macs: number } {
  const outer = active;
  const counter = { macs: 0 };
  active = counter;
  try {
    const result = fn();
    return { result, macs: counter.macs };
  } finally {
    active = outer;
    if (outer) outer.macs += counter.macs;
  }
}

import { afterEach } from 'vitest';

// Tests whose awaits all resolve as microtasks never give the event loop an I/O turn, so a file that runs
// past a minute trips vitest's worker RPC timeout. One macrotask turn after each test lets the RPC through.
afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

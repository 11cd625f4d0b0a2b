import { resizeLinear } from './resize.mjs';
import { readFileSync, writeFileSync } from 'node:fs';
// cases: [file, sw, sh, dw, dh]
const cases = JSON.parse(readFileSync('/tmp/rz/cases.json', 'utf8'));
for (const [f, sw, sh, dw, dh, out] of cases) {
  const data = new Uint8Array(readFileSync(f));
  const r = resizeLinear({ data, width: sw, height: sh }, dw, dh);
  writeFileSync(out, r.data);
}

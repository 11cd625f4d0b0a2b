/** Writes class names as ultralytics' Python dict literal, e.g. `{0: 'person', 1: "it's"}`. */
export function formatNamesLiteral(names: readonly string[]): string {
  // Python repr: single quotes unless the name holds ' and no ", then double quotes.
  const repr = (s: string) => {
    const q = s.includes("'") && !s.includes('"') ? '"' : "'";
    const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\r/g, '\\r');
    return q + (q === "'" ? body.replace(/'/g, "\\'") : body) + q;
  };
  return `{${names.map((n, i) => `${i}: ${repr(n)}`).join(', ')}}`;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

/** Parses ultralytics' `names` metadata (Python dict literal or JSON object) into a dense list by class index. */
export function parseNamesLiteral(text: string): string[] {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`names metadata: ${what} at character ${i} of ${JSON.stringify(text.slice(0, 80))}`);
  };
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const expect = (c: string) => {
    ws();
    if (text[i] !== c) fail(`expected '${c}'`);
    i++;
  };
  const str = (): string => {
    const q = text[i];
    if (q !== "'" && q !== '"') fail('expected a quoted string');
    i++;
    let out = '';
    while (i < text.length && text[i] !== q) {
      if (text[i] === '\\') {
        const e = text[i + 1] ?? '';
        if (e === 'x' || e === 'u') {
          const n = e === 'x' ? 2 : 4;
          const hex = text.slice(i + 2, i + 2 + n);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) fail('bad escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 2 + n;
          continue;
        }
        out += ESCAPES[e] ?? fail(`unknown escape \\${e}`);
        i += 2;
      } else out += text[i++];
    }
    if (text[i] !== q) fail('unterminated string');
    i++;
    return out;
  };
  const key = (): number => {
    ws();
    const m = /^-?\d+/.exec(text.slice(i));
    if (m) {
      i += m[0].length;
      return Number(m[0]);
    }
    const s = str(); // JSON objects quote their keys
    if (!/^\d+$/.test(s)) fail(`class key ${JSON.stringify(s)} is not an integer`);
    return Number(s);
  };
  const byIndex = new Map<number, string>();
  expect('{');
  ws();
  if (text[i] === '}') i++;
  else
    for (;;) {
      const k = key();
      expect(':');
      ws();
      if (byIndex.has(k)) fail(`duplicate class ${k}`);
      byIndex.set(k, str());
      ws();
      if (text[i] === ',') {
        i++;
        ws();
        if (text[i] === '}') { i++; break; }
        continue;
      }
      expect('}');
      break;
    }
  ws();
  if (i !== text.length) fail('trailing text');
  const names: string[] = [];
  for (let c = 0; c < byIndex.size; c++) {
    const n = byIndex.get(c);
    if (n === undefined) throw new Error(`names metadata: class ${c} missing (keys must be 0…${byIndex.size - 1})`);
    names.push(n);
  }
  return names;
}

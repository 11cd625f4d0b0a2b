/** Browser twin of configs-dir.ts: a page has no folder to read YAMLs from (import one with your bundler). */
export function configsDirOf(_moduleDir: string | undefined, _moduleUrl: string | undefined): string {
  return '';
}

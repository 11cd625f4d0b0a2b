import { fileURLToPath } from 'node:url';

/** Path of a file under the repository's fixtures/ folder. */
export const fixture = (rel: string): string => fileURLToPath(new URL(`../../../fixtures/${rel}`, import.meta.url));

/** Path of a bundled config. */
export const config = (pkg: string, name: string): string => fileURLToPath(new URL(`../../${pkg}/configs/${name}`, import.meta.url));

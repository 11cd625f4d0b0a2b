import { fileURLToPath } from 'node:url';

/** Path of a file under the repository's fixtures/ folder. */
export const fixture = (rel: string): string => fileURLToPath(new URL(`../../../fixtures/${rel}`, import.meta.url));

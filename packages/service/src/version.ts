import { readFileSync } from 'node:fs';

/** The version in the package.json next to a module's folder (src/ or dist/): `packageVersion(import.meta.url)`. */
export function packageVersion(moduleUrl: string): string {
  return (JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8')) as { version: string })
    .version;
}

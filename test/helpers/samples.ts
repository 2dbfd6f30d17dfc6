/** Real observations captured from lab runs (test/fixtures/<name>, gzipped JSON) for the judges' unit tests. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** The sample as captured, and a way to make altered copies of it (the sample itself stays as it was). */
export function realSample<T>(name: string): { real: T; altered: (change: (copy: T) => void) => T } {
  const real = JSON.parse(gunzipSync(readFileSync(new URL(`../fixtures/${name}`, import.meta.url))).toString()) as T;
  const altered = (change: (copy: T) => void) => {
    const copy = structuredClone(real);
    change(copy);
    return copy;
  };
  return { real, altered };
}

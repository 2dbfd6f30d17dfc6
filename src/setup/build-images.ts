/** Builds every image under docker/ (cached by content): run by setup.sh. */
import { ensureImage, imageNames } from '../resources/images.ts';

const log = (line: string) => process.stderr.write(`images: ${line}\n`);
for (const name of imageNames()) {
  const started = performance.now();
  const tag = await ensureImage(name, log);
  log(`${tag} ready (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

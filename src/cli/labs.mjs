#!/usr/bin/env node
// The `labs` executable. Plain JavaScript so that, once every TypeScript module is in Node's
// compile cache, Node never has to load its TypeScript stripper: that and the cache halve the
// CLI's start-up (see the README's benchmark figures). Plain JavaScript also lets an older Node,
// which cannot load TypeScript, say so in one line.
import module from 'node:module';

const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(`labs: needs Node.js 24 (this is ${process.version}); run it as \`npx labs\` or through make, which use the project's pinned Node\n`);
  process.exit(2);
}
module.enableCompileCache?.(new URL('../../.cache/compile', import.meta.url).pathname);
await import('./main.ts');

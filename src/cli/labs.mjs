#!/usr/bin/env node
// The `labs` executable. Plain JavaScript so that, once every TypeScript module is in Node's
// compile cache, Node never has to load its TypeScript stripper: that and the cache halve the
// CLI's start-up (see the README's benchmark figures).
import module from 'node:module';

module.enableCompileCache?.(new URL('../../.cache/compile', import.meta.url).pathname);
await import('./main.ts');

// Copies the compiled WASM next to the compiled loader so that
// `new URL('./modelwatch.wasm', import.meta.url)` resolves in dist/ as in src/.
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync('dist/core', { recursive: true });
copyFileSync('src/core/modelwatch.wasm', 'dist/core/modelwatch.wasm');
copyFileSync('src/core/modelwatch.wasm', 'dist/modelwatch.wasm');

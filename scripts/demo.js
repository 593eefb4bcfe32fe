// `npm run demo`: builds the offline demo page (demo/) and serves it on
// localhost, printing its URL. The same server receives the page's synced
// summaries (POST /api/summaries) and shows the fleet aggregate
// (GET /api/metrics, Prometheus text), so the whole loop runs on one machine.
// The receiver (modelwatch/receiver, mounted in demo/vite.config.ts) keeps its
// state in MODELWATCH_RECEIVER_DIR, or in a fresh temporary directory per start.
import { execFileSync } from 'node:child_process';
import { build, preview } from 'vite';

const port = Number(process.env.PORT ?? 4173);
const host = process.env.HOST ?? '127.0.0.1';

// The demo consumes the built package (dist/), as an app would.
execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
await build({ configFile: 'demo/vite.config.ts', logLevel: 'warn' });
const server = await preview({ configFile: 'demo/vite.config.ts', preview: { host, port, strictPort: false } });
const url = server.resolvedUrls?.local[0] ?? `http://${host}:${port}/`;
console.log(`\nmodelwatch demo: ${url}\n(Ctrl+C to stop)`);

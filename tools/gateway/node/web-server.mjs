// The gateway check's `web` upstream: serves the test page (tools/gateway/page/index.html) and
// its bundle (node/build/page.js) on loopback, nothing else. Envoy routes every non-API path of
// the gateway here, as it will route the console; the page is also loaded from this server's
// own origin, so Chromium calls the gateway cross-origin (real CORS preflights).
//   node web-server.mjs --port 0     prints `listening <port>` once bound
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const files = {
  '/gateway-check/': ['text/html; charset=utf-8', join(HERE, '..', 'page', 'index.html')],
  '/gateway-check/page.js': ['text/javascript; charset=utf-8', join(HERE, 'build', 'page.js')],
};
const server = createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  const file = files[path];
  if (req.method !== 'GET' || !file) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(readFileSync(file[1]));
});
server.listen(Number(args.port), '127.0.0.1', () => console.log(`listening ${server.address().port}`));

// Cairn gateway check: calls every Cairn service through Envoy (gateway/envoy.yaml) over each
// browser-facing protocol, from Node and from headless Chromium. tools/gateway/run.sh starts
// Cairn, the test page's server and Envoy, then runs this:
//   node check.mjs --gateway http://127.0.0.1:<envoy> --web http://127.0.0.1:<web> --token-file <demo-token>
//
// From Node: gRPC-Web and Connect with connect-web (fetch, as a browser does) and connect-node
// (HTTP/1.1 and h2c), native gRPC with connect-node, JSON/REST with fetch, CORS preflights.
// From Chromium (Debian's /usr/bin/chromium driven by playwright-core): the test page loaded from
// the gateway's own origin and from a second origin (so every call is a real CORS request), each
// running the gRPC-Web, Connect and REST checks with connect-web.
// Prints one line per check and last `N passed, N failed`; exits 1 if any failed.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createConnectTransport as webConnect, createGrpcWebTransport as webGrpcWeb } from '@connectrpc/connect-web';
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { chromium } from 'playwright-core';
import { documentBytes, DOWNLOAD_SIZE, fail, restChecks, rpcChecks, runChecks } from './checks.js';

const { values: args } = parseArgs({
  options: {
    gateway: { type: 'string' },
    web: { type: 'string' },
    'token-file': { type: 'string' },
    chromium: { type: 'string', default: process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium' },
    'no-browser': { type: 'boolean', default: false },
  },
});
const gateway = args.gateway;
const token = readFileSync(args['token-file'], 'utf8').trim();
const document = documentBytes(DOWNLOAD_SIZE);
const ALLOWED_ORIGIN = args.web;
const log = (line) => console.log(line);

const transports = {
  'Node gRPC-Web (connect-web, fetch)': webGrpcWeb({ baseUrl: gateway, useBinaryFormat: true }),
  'Node Connect (connect-web, fetch)': webConnect({ baseUrl: gateway, useBinaryFormat: true }),
  'Node gRPC-Web (connect-node, HTTP/1.1)': createGrpcWebTransport({ baseUrl: gateway, httpVersion: '1.1' }),
  'Node Connect (connect-node, h2c)': createConnectTransport({ baseUrl: gateway, httpVersion: '2', useBinaryFormat: true }),
  'Node gRPC (connect-node, h2c)': createGrpcTransport({ baseUrl: gateway }),
};

function corsChecks() {
  const preflight = (path, origin, requestHeaders) =>
    fetch(`${gateway}${path}`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders },
      signal: AbortSignal.timeout(10_000),
    });
  const expectAllowed = async (res, origin, header) => {
    await res.arrayBuffer();
    if (res.status !== 200) fail(`preflight HTTP ${res.status}`);
    if (res.headers.get('access-control-allow-origin') !== origin) fail(`allow-origin ${res.headers.get('access-control-allow-origin')}`);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const h of header.split(',')) if (!allowed.includes(h)) fail(`allow-headers lacks ${h}: ${allowed}`);
  };
  return [
    {
      name: 'CORS preflight for gRPC-Web and Connect from an allowed origin',
      async run() {
        await expectAllowed(
          await preflight('/cairn.identity.v1.IdentityService/GetUser', ALLOWED_ORIGIN, 'authorization,content-type,x-grpc-web,x-user-agent'),
          ALLOWED_ORIGIN,
          'authorization,content-type,x-grpc-web,x-user-agent',
        );
        await expectAllowed(
          await preflight('/cairn.identity.v1.IdentityService/GetUser', ALLOWED_ORIGIN, 'authorization,content-type,connect-protocol-version,connect-timeout-ms'),
          ALLOWED_ORIGIN,
          'connect-protocol-version,connect-timeout-ms',
        );
      },
    },
    {
      name: 'CORS preflight for a REST path from an allowed origin',
      async run() {
        await expectAllowed(await preflight('/v1/items', ALLOWED_ORIGIN, 'authorization,content-type'), ALLOWED_ORIGIN, 'authorization,content-type');
      },
    },
    {
      name: 'CORS: a foreign origin gets no allow-origin',
      async run() {
        const res = await preflight('/v1/items', 'https://evil.example', 'authorization');
        await res.arrayBuffer();
        if (res.headers.get('access-control-allow-origin')) fail(`allow-origin ${res.headers.get('access-control-allow-origin')}`);
      },
    },
    {
      name: 'CORS: responses expose grpc-status, grpc-message, x-request-id',
      async run() {
        const res = await fetch(`${gateway}/v1/users/me`, { headers: { origin: ALLOWED_ORIGIN, authorization: `Bearer ${token}` } });
        await res.arrayBuffer();
        if (res.headers.get('access-control-allow-origin') !== ALLOWED_ORIGIN) fail(`allow-origin ${res.headers.get('access-control-allow-origin')}`);
        const exposed = (res.headers.get('access-control-expose-headers') ?? '').toLowerCase();
        for (const h of ['grpc-status', 'grpc-message', 'grpc-status-details-bin', 'x-request-id']) {
          if (!exposed.includes(h)) fail(`expose-headers lacks ${h}: ${exposed}`);
        }
      },
    },
  ];
}

async function browserChecks() {
  const browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: ['--no-sandbox'] });
  const totals = { passed: 0, failed: 0 };
  try {
    for (const origin of [gateway, args.web]) {
      const page = await browser.newPage();
      page.on('pageerror', (e) => log(`page error: ${e.message}`));
      const url = `${origin}/gateway-check/?gateway=${encodeURIComponent(gateway)}&token=${encodeURIComponent(token)}`;
      const res = await page.goto(url);
      if (!res?.ok()) {
        log(`FAIL browser: loading ${origin}/gateway-check/ answered HTTP ${res?.status()}`);
        totals.failed++;
        continue;
      }
      await page.waitForFunction(() => window.cairnResults, null, { timeout: 120_000 });
      const results = await page.evaluate(() => window.cairnResults);
      results.lines.forEach((l) => log(l));
      totals.passed += results.passed;
      totals.failed += results.failed;
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return totals;
}

const totals = { passed: 0, failed: 0 };
const add = (r) => {
  totals.passed += r.passed;
  totals.failed += r.failed;
};
for (const [label, transport] of Object.entries(transports)) add(await runChecks(label, rpcChecks({ transport, token, document }), log));
add(await runChecks('Node REST (fetch)', restChecks({ base: gateway, token, document }), log));
add(await runChecks('Node', corsChecks(), log));
if (!args['no-browser']) {
  try {
    add(await browserChecks());
  } catch (e) {
    log(`FAIL browser: ${e?.stack ?? e}`);
    totals.failed++;
  }
}
console.log(`${totals.passed} passed, ${totals.failed} failed`);
process.exit(totals.failed === 0 ? 0 : 1);

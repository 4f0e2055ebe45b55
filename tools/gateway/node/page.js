// Browser side of the gateway check (bundled by esbuild into the page's page.js): the same
// checks as Node, with connect-web's fetch transports. Reports to window.cairnResults.
import { createConnectTransport, createGrpcWebTransport } from '@connectrpc/connect-web';
import { documentBytes, DOWNLOAD_SIZE, restChecks, rpcChecks, runChecks } from './checks.js';

const params = new URLSearchParams(location.search);
const gateway = params.get('gateway');
const token = params.get('token');
const out = document.getElementById('log');
const lines = [];
const log = (line) => {
  lines.push(line);
  out.textContent += `${line}\n`;
};

async function main() {
  const document_ = documentBytes(DOWNLOAD_SIZE);
  const where = gateway === location.origin ? 'same-origin' : 'cross-origin';
  const totals = { passed: 0, failed: 0 };
  const add = (r) => {
    totals.passed += r.passed;
    totals.failed += r.failed;
  };
  add(await runChecks(`browser ${where} gRPC-Web`, rpcChecks({ transport: createGrpcWebTransport({ baseUrl: gateway, useBinaryFormat: true }), token, document: document_ }), log));
  add(await runChecks(`browser ${where} Connect`, rpcChecks({ transport: createConnectTransport({ baseUrl: gateway, useBinaryFormat: true }), token, document: document_ }), log));
  add(await runChecks(`browser ${where} REST`, restChecks({ base: gateway, token, document: document_ }), log));
  return totals;
}

main()
  .then((totals) => (window.cairnResults = { ...totals, lines }))
  .catch((e) => (window.cairnResults = { passed: 0, failed: 1, lines: [...lines, `FAIL page: ${e?.stack ?? e}`] }));

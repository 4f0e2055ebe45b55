// Polls grpc.health.v1.Health/Check (service "") until it answers SERVING, for the scripts that start
// a server (tools/interop/run.sh, tools/bench/ghz.sh). Bounded: exits 1 after --timeout seconds, or at
// once when the process --pid (the server being waited for) has exited.
//   node wait-serving.mjs --target 127.0.0.1:50051 --timeout 120 [--pid 1234]

import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
const { values: args } = parseArgs({
  options: {
    target: { type: 'string', default: '127.0.0.1:50051' },
    timeout: { type: 'string', default: '120' },
    pid: { type: 'string' },
  },
});
const healthDir = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto');
const def = grpc.loadPackageDefinition(
  protoLoader.loadSync('health/v1/health.proto', { includeDirs: [healthDir], enums: String }),
);
const client = new def.grpc.health.v1.Health(args.target, grpc.credentials.createInsecure());

const alive = (pid) => {
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
};
const check = () =>
  new Promise((resolve) =>
    client.Check({ service: '' }, { deadline: Date.now() + 2000 }, (err, resp) =>
      resolve(err ? `${grpc.status[err.code]}: ${err.details}` : resp.status),
    ),
  );

const started = Date.now();
const limitMs = Number(args.timeout) * 1000;
let last = 'no answer yet';
while (Date.now() - started < limitMs) {
  if (args.pid && !alive(args.pid)) {
    console.error(`server process ${args.pid} exited before it was SERVING (last health: ${last})`);
    process.exit(1);
  }
  last = await check();
  if (last === 'SERVING') {
    console.log(`${args.target} SERVING after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    client.close();
    process.exit(0);
  }
  await sleep(500);
}
console.error(`${args.target} not SERVING after ${args.timeout} s (last health: ${last})`);
process.exit(1);

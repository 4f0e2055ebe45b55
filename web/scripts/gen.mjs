// Generates the TypeScript stubs into src/gen from the contracts (proto/src/main/proto/cairn) plus
// google/rpc/error_details (the error details the console decodes), with buf + protoc-gen-es.
// The third-party imports come from proto/target/proto-deps, which the proto module's Maven
// build unpacks (the BSR is not reachable from the build machines).
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const proto = join(web, '..', 'proto');
if (!existsSync(join(proto, 'target', 'proto-deps'))) {
  console.error('web: proto/target/proto-deps is missing; run ./mvnw -B -ntp -pl proto -DskipTests package first');
  process.exit(2);
}
rmSync(join(web, 'src', 'gen'), { recursive: true, force: true });
execFileSync(join(web, 'node_modules', '.bin', 'buf'), [
  'generate', '--template', join(web, 'buf.gen.yaml'), '--include-imports',
  '--path', 'src/main/proto/cairn', '--path', 'target/proto-deps/google/rpc/error_details.proto',
  '-o', join(web, 'src'),
], { cwd: proto, stdio: 'inherit' });

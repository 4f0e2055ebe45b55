// Cairn interop check from Node (@grpc/grpc-js), against a running server.
//
// Stubs are built at load time by @grpc/proto-loader from proto/src/main/proto (ours) and
// proto/target/proto-deps (google/api, google/rpc, buf/validate), so the check always speaks the
// current contracts. Reflection goes over the wire with grpc.reflection.v1 (the .proto shipped in
// @grpc/reflection); the returned FileDescriptorProtos are decoded with protobufjs.
//
// Usage (tools/interop/run.sh does all of this for you):
//   npm ci
//   node check.mjs --target 127.0.0.1:50051 --token-file "$CAIRN_DATA_DIR/demo-token"
//
// Prints one line per check and a last line `N passed, N failed`; exits 1 if any check failed.

import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { join, dirname, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import assert from 'node:assert/strict';

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const descriptor = require('protobufjs/ext/descriptor');

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..', '..');
const PROTO_SRC = join(REPO, 'proto', 'src', 'main', 'proto');
const PROTO_DEPS = join(REPO, 'proto', 'target', 'proto-deps');
const REFLECTION_PROTO_DIR = join(dirname(require.resolve('@grpc/reflection/package.json')), 'build', 'proto');
const HEALTH_PROTO_DIR = join(dirname(require.resolve('grpc-health-check/package.json')), 'proto');
// Every call has a deadline: a hung server fails the check instead of hanging CI.
const DEADLINE_MS = 10_000;

const { values: args } = parseArgs({
  options: {
    target: { type: 'string', default: process.env.CAIRN_TARGET ?? '127.0.0.1:50051' },
    token: { type: 'string', default: process.env.CAIRN_TOKEN },
    'token-file': { type: 'string' },
  },
});
const token = args['token-file'] ? readFileSync(args['token-file'], 'utf8').trim() : args.token;
if (!token) {
  console.error('a token is needed: --token, --token-file or CAIRN_TOKEN');
  process.exit(2);
}
if (!existsSync(PROTO_DEPS)) {
  console.error(`missing ${PROTO_DEPS}: run \`./mvnw -B -q -pl proto install\` at ${REPO}`);
  process.exit(2);
}

function protoFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.proto')) out.push(relative(root, p).split(sep).join('/'));
    }
  };
  walk(root);
  return out.sort();
}

/** Fully-qualified names of every service declared in proto/src/main/proto. */
function declaredServices() {
  const names = [];
  for (const file of protoFiles(PROTO_SRC)) {
    const text = readFileSync(join(PROTO_SRC, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/[^\n]*/g, '');
    const pkg = text.match(/^\s*package\s+([\w.]+)\s*;/m)?.[1];
    for (const m of text.matchAll(/^\s*service\s+(\w+)\s*\{/gm)) names.push(pkg ? `${pkg}.${m[1]}` : m[1]);
  }
  return names;
}

const loaderOptions = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };
const cairnDef = grpc.loadPackageDefinition(
  protoLoader.loadSync(protoFiles(PROTO_SRC), { ...loaderOptions, includeDirs: [PROTO_SRC, PROTO_DEPS] }),
);
const healthDef = grpc.loadPackageDefinition(
  protoLoader.loadSync('health/v1/health.proto', { ...loaderOptions, includeDirs: [HEALTH_PROTO_DIR] }),
);
const reflectionDef = grpc.loadPackageDefinition(
  protoLoader.loadSync(['grpc/reflection/v1/reflection.proto', 'grpc/reflection/v1alpha/reflection.proto'], {
    ...loaderOptions,
    includeDirs: [REFLECTION_PROTO_DIR],
  }),
);

// Codecs for google.rpc.Status and its details (grpc-status-details-bin).
const rpcRoot = new protobuf.Root();
rpcRoot.resolvePath = (origin, target) => {
  for (const dir of [PROTO_DEPS, PROTO_SRC]) if (existsSync(join(dir, target))) return join(dir, target);
  return target; // google/protobuf/*: bundled with protobufjs
};
rpcRoot.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
const RpcStatus = rpcRoot.lookupType('google.rpc.Status');

const credentials = grpc.credentials.createInsecure();
const identity = new cairnDef.cairn.identity.v1.IdentityService(args.target, credentials);
const health = new healthDef.grpc.health.v1.Health(args.target, credentials);
const vault = new cairnDef.cairn.vault.v1.VaultService(args.target, credentials);
const search = new cairnDef.cairn.search.v1.SearchService(args.target, credentials);
const chat = new cairnDef.cairn.chat.v1.ChatService(args.target, credentials);

const deadline = () => ({ deadline: Date.now() + DEADLINE_MS });
const bearer = () => {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
};
const unary = (client, method, request, metadata = new grpc.Metadata()) =>
  new Promise((resolve, reject) =>
    client[method](request, metadata, deadline(), (err, resp) => (err ? reject(err) : resolve(resp))),
  );
async function expectError(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('the call succeeded; an error was expected');
}

/** A server stream's events, in order; rejects with the call's error (the events so far on err.events). */
function streamAll(call) {
  return new Promise((resolve, reject) => {
    const events = [];
    call.on('data', (e) => events.push(e));
    call.on('error', (err) => { err.events = events; reject(err); });
    call.on('end', () => resolve(events));
  });
}
const codePoints = (s) => [...s].length;
const deltaText = (events) => events.filter((e) => e.event === 'delta').map((e) => e.delta.text).join('');

// Chat: one searchable document, indexed before the first question, so answers have citations.
const HERONS = 'Grey herons nest in colonies called heronries, high in trees near water. '
  + 'A heronry may hold dozens of nests. Herons eat fish, frogs and small mammals.';
const chatState = {};
async function heronDocument() {
  if (chatState.item) return chatState.item;
  const { item } = await unary(vault, 'CreateItem', {
    item: { kind: 'KIND_DOCUMENT', display_name: 'herons.txt', media_type: 'text/plain', searchable: true,
      content: Buffer.from(HERONS) },
  }, bearer());
  const until = Date.now() + 60_000;
  for (;;) {
    const status = await unary(search, 'GetIndexStatus', { item: item.name }, bearer());
    if (status.item_status?.state === 'STATE_INDEXED') break;
    assert.notEqual(status.item_status?.state, 'STATE_FAILED', `indexing failed: ${JSON.stringify(status)}`);
    assert.ok(Date.now() < until, `not indexed within 60 s: ${JSON.stringify(status)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  chatState.item = item.name;
  return item.name;
}
const newConversation = async () => (await unary(chat, 'CreateConversation', { conversation: {} }, bearer())).conversation.name;
async function storedMessage(name) {
  const parent = name.slice(0, name.indexOf('/messages/'));
  const { messages } = await unary(chat, 'ListMessages', { parent, page_size: 100 }, bearer());
  const found = messages.find((m) => m.name === name);
  assert.ok(found, `${name} not listed`);
  return found;
}

/** Sends reflection requests on one bidi stream and collects one response per request. */
function reflect(version, requests) {
  const Service = reflectionDef.grpc.reflection[version].ServerReflection;
  const client = new Service(args.target, credentials);
  return new Promise((resolve, reject) => {
    const responses = [];
    const call = client.ServerReflectionInfo(deadline());
    call.on('data', (r) => {
      responses.push(r);
      if (responses.length === requests.length) call.end();
    });
    call.on('error', (err) => { client.close(); reject(err); });
    call.on('end', () => { client.close(); resolve(responses); });
    for (const r of requests) call.write(r);
  });
}

const checks = [
  ['health Check reports SERVING', async () => {
    const resp = await unary(health, 'Check', { service: '' });
    assert.equal(resp.status, 'SERVING');
  }],

  ['reflection (v1) lists every declared service and resolves IdentityService.GetUser', async () => {
    const symbol = 'cairn.identity.v1.IdentityService';
    const [listed, file] = await reflect('v1', [{ list_services: '' }, { file_containing_symbol: symbol }]);
    assert.ok(listed.list_services_response, `unexpected reply: ${JSON.stringify(listed.error_response)}`);
    const names = listed.list_services_response.service.map((s) => s.name);
    const expected = declaredServices();
    assert.ok(expected.includes(symbol), `declared: ${expected}`);
    const missing = expected.filter((s) => !names.includes(s));
    assert.deepEqual(missing, [], `not listed by reflection: ${missing.join(', ')} (listed: ${names.join(', ')})`);
    assert.ok(names.includes('grpc.health.v1.Health'), `health not listed: ${names}`);

    assert.ok(file.file_descriptor_response, `unexpected reply: ${JSON.stringify(file.error_response)}`);
    const files = file.file_descriptor_response.file_descriptor_proto.map((b) => descriptor.FileDescriptorProto.decode(b));
    const owner = files.find((f) => f.package === 'cairn.identity.v1' && f.service.some((s) => s.name === 'IdentityService'));
    assert.ok(owner, `no file declares ${symbol}: ${files.map((f) => f.name)}`);
    const methods = owner.service.find((s) => s.name === 'IdentityService').method;
    const getUser = methods.find((m) => m.name === 'GetUser');
    assert.ok(getUser, `methods: ${methods.map((m) => m.name)}`);
    assert.equal(getUser.inputType, '.cairn.identity.v1.GetUserRequest');
    assert.equal(getUser.outputType, '.cairn.identity.v1.GetUserResponse');
  }],

  ['reflection (v1alpha) lists IdentityService', async () => {
    const [listed] = await reflect('v1alpha', [{ list_services: '' }]);
    const names = listed.list_services_response?.service.map((s) => s.name) ?? [];
    assert.ok(names.includes('cairn.identity.v1.IdentityService'), `listed: ${names}`);
  }],

  ['a client knowing only the address discovers every method by reflection and calls GetUser', async () => {
    const [listed] = await reflect('v1', [{ list_services: '' }]);
    const services = listed.list_services_response.service.map((s) => s.name).filter((n) => n.startsWith('cairn.'));
    const replies = await reflect('v1', services.map((s) => ({ file_containing_symbol: s })));
    // every file the server sent (each reply carries the file and its imports), once each
    const files = new Map();
    for (const reply of replies) {
      assert.ok(reply.file_descriptor_response, `unexpected reply: ${JSON.stringify(reply.error_response)}`);
      for (const bytes of reply.file_descriptor_response.file_descriptor_proto) {
        files.set(descriptor.FileDescriptorProto.decode(bytes).name, Buffer.from(bytes));
      }
    }
    // a FileDescriptorSet is field 1 (length-delimited) repeated: tag 0x0a, varint length, bytes
    const varint = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return Buffer.from(out); };
    const set = Buffer.concat([...files.values()].flatMap((b) => [Buffer.from([0x0a]), varint(b.length), b]));
    const discovered = grpc.loadPackageDefinition(protoLoader.loadFileDescriptorSetFromBuffer(set, loaderOptions));
    for (const name of services) {
      const ctor = name.split('.').reduce((o, k) => o?.[k], discovered);
      assert.ok(ctor?.service && Object.keys(ctor.service).length > 0, `no methods discovered for ${name}`);
    }
    const Identity = discovered.cairn.identity.v1.IdentityService;
    const client = new Identity(args.target, credentials);
    try {
      const resp = await unary(client, 'GetUser', { name: 'users/me' }, bearer());
      assert.equal(resp.user.username, 'demo');
    } finally {
      client.close();
    }
  }],

  ['GetUser users/me with the demo token returns username demo', async () => {
    const resp = await unary(identity, 'GetUser', { name: 'users/me' }, bearer());
    assert.equal(resp.user.username, 'demo');
    assert.match(resp.user.name, /^users\/[^/]+$/);
  }],

  ['GetUser without a token is UNAUTHENTICATED', async () => {
    const err = await expectError(unary(identity, 'GetUser', { name: 'users/me' }));
    assert.equal(err.code, grpc.status.UNAUTHENTICATED, `got ${grpc.status[err.code]}: ${err.details}`);
  }],

  ['GetUser name=bad is INVALID_ARGUMENT with ErrorInfo and BadRequest details', async () => {
    const err = await expectError(unary(identity, 'GetUser', { name: 'bad' }, bearer()));
    assert.equal(err.code, grpc.status.INVALID_ARGUMENT, `got ${grpc.status[err.code]}: ${err.details}`);
    const [raw] = err.metadata.get('grpc-status-details-bin');
    assert.ok(raw, `no grpc-status-details-bin in trailers: ${JSON.stringify(err.metadata.getMap())}`);
    const status = RpcStatus.decode(raw);
    assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
    const details = status.details.map((any) => {
      const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
      return { typeName, message: rpcRoot.lookupType(typeName).decode(any.value) };
    });
    const infos = details.filter((d) => d.typeName === 'google.rpc.ErrorInfo').map((d) => d.message);
    assert.ok(infos.some((i) => i.domain === 'cairn.dev'), `ErrorInfo: ${JSON.stringify(infos)}`);
    const fields = details
      .filter((d) => d.typeName === 'google.rpc.BadRequest')
      .flatMap((d) => d.message.field_violations.map((v) => v.field));
    assert.ok(fields.includes('name'), `BadRequest field violations: ${JSON.stringify(fields)}`);
  }],

  ['chat SendMessage streams started, retrieval with a citation, contiguous code-point deltas, completed', async () => {
    const item = await heronDocument();
    const conversation = await newConversation();
    const events = await streamAll(chat.SendMessage(
      { parent: conversation, text: 'Where do grey herons nest?' }, bearer(), deadline()));
    assert.deepEqual(events.slice(0, 2).map((e) => e.event), ['started', 'retrieval'], JSON.stringify(events.slice(0, 2)));
    const { user_message: question, message: answer } = events[0].started;
    assert.equal(question.text, 'Where do grey herons nest?');
    assert.equal(answer.state, 'STATE_STREAMING');
    assert.ok(events[1].retrieval.citations.some((c) => c.item === item), `citations: ${JSON.stringify(events[1].retrieval)}`);
    const deltas = events.slice(2, -1);
    // how many deltas depends on timing (text written while one is sent is coalesced into the next)
    assert.ok(deltas.length >= 1 && deltas.every((e) => e.event === 'delta'), `events: ${events.map((e) => e.event)}`);
    let offset = 0;
    for (const { delta } of deltas) {
      assert.equal(Number(delta.offset), offset, `delta at ${delta.offset}, expected ${offset}`);
      offset += codePoints(delta.text);
    }
    const completed = events.at(-1).completed;
    assert.ok(completed, `last event: ${JSON.stringify(events.at(-1))}`);
    assert.equal(completed.finish_reason, 'FINISH_REASON_STOP');
    assert.equal(Number(completed.text_length), offset);
    const text = deltaText(events);
    assert.match(text, /\[1\]/, `no citation marker in: ${text}`);
    const stored = await storedMessage(answer.name);
    assert.equal(stored.state, 'STATE_COMPLETED');
    assert.equal(stored.text, text);
    chatState.answer = stored;
  }],

  ['chat StreamMessage from an offset mid-answer replays exactly the stored answer\'s suffix', async () => {
    const answer = chatState.answer;
    assert.ok(answer, 'needs the answer of the SendMessage check');
    const chars = [...answer.text];
    const from = Math.floor(chars.length / 2);
    const events = await streamAll(chat.StreamMessage({ name: answer.name, from_offset: from }, bearer(), deadline()));
    assert.equal(events[0].event, 'started');
    assert.equal(events[0].started.message.name, answer.name);
    const deltas = events.filter((e) => e.event === 'delta');
    assert.equal(Number(deltas[0]?.delta.offset), from, `first delta: ${JSON.stringify(deltas[0])}`);
    assert.equal(deltaText(events), chars.slice(from).join(''));
    assert.equal(events.at(-1).completed?.finish_reason, 'FINISH_REASON_STOP');
  }],

  ['chat CancelMessage stops a detached answer: CANCELLED, its partial text kept', async () => {
    await heronDocument();
    // the extractive answer takes milliseconds: cancel as soon as the server names it, and try
    // again in a new conversation the rare time the answer ended first (then it is returned as is).
    // Each attempt asks in other words, so its retrieval embeds a question the server has not
    // cached: that model call is the time a cancel has to arrive in.
    const outcomes = [];
    for (let attempt = 0; attempt < 6; attempt++) {
      const conversation = await newConversation();
      const text = `What do herons eat? (attempt ${attempt + 1})`;
      const call = chat.SendMessage({ parent: conversation, text, detach: true }, bearer(), deadline());
      const name = await new Promise((resolve, reject) => {
        call.once('data', (e) => resolve(e.started?.message.name));
        call.once('error', reject);
      });
      assert.ok(name, 'the first event is not started');
      const { message } = await unary(chat, 'CancelMessage', { name }, bearer());
      call.cancel(); // detached: ending the call does not touch the answer
      outcomes.push(message.state);
      if (message.state === 'STATE_COMPLETED') continue;
      if (attempt > 0) console.log(`     (the answer ended before its cancel ${attempt} time(s))`);
      assert.equal(message.state, 'STATE_CANCELLED');
      assert.equal(message.finish_reason, 'FINISH_REASON_CANCELLED');
      const stored = await storedMessage(name);
      assert.equal(stored.state, 'STATE_CANCELLED');
      assert.equal(stored.text, message.text);
      return;
    }
    assert.fail(`every answer ended before its cancel: ${outcomes}`);
  }],
];

let passed = 0;
let failed = 0;
for (const [title, run] of checks) {
  const t0 = Date.now();
  try {
    await run();
    passed++;
    console.log(`ok   node: ${title} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    console.log(`FAIL node: ${title}: ${err.message}`);
    if (process.env.CAIRN_INTEROP_VERBOSE) console.error(err);
  }
}
for (const c of [identity, health, vault, search, chat]) c.close();
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;

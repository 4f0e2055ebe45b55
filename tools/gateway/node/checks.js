// The gateway checks, shared by Node (check.mjs) and the browser page (page.js): each is a
// { name, run } whose run() throws on failure. Only fetch, TextEncoder and crypto.subtle are
// used, so the same code runs in Node 20 and in Chromium.
//
// rpcChecks(): the calls over one Connect-ES transport (gRPC-Web, Connect or gRPC), to every
// Cairn service. restChecks(): the same services over JSON/REST (the google.api.http paths the
// transcoder maps). STREAMS lists the server streams checked over each path, each one entry:
// vault's download, and chat's SendMessage answer.

import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { fromBinary } from '@bufbuild/protobuf';
import { IdentityService } from './gen/cairn/identity/v1/identity_service_pb.js';
import { VaultService } from './gen/cairn/vault/v1/vault_service_pb.js';
import { SharingService } from './gen/cairn/vault/v1/sharing_service_pb.js';
import { AuditService } from './gen/cairn/vault/v1/audit_service_pb.js';
import { SearchService } from './gen/cairn/search/v1/search_service_pb.js';
import { ChatService } from './gen/cairn/chat/v1/chat_service_pb.js';
import { Item_Kind } from './gen/cairn/vault/v1/item_pb.js';
import { BadRequestSchema, ErrorInfoSchema } from './gen/google/rpc/error_details_pb.js';

// A document larger than the server's 1 MiB download chunks, so a download is a real stream of
// several messages (metadata, then at least three chunks).
export const DOWNLOAD_SIZE = 2_500_000;
const MISSING_ITEM = 'items/doesnotexist0000';
const DEADLINE_MS = 15_000;

export function fail(message) {
  throw new Error(message);
}

function expect(cond, message) {
  if (!cond) fail(message);
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return hex(digest);
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function base64ToBytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function bytesToBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

// Deterministic, incompressible-looking content (xorshift), so a corrupted or truncated
// download cannot match by accident.
export function documentBytes(size, seed = 0x2545f491) {
  const out = new Uint8Array(size);
  let x = seed >>> 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function concat(chunks) {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

async function expectRpcError(promiseFn, code, check) {
  try {
    await promiseFn();
  } catch (e) {
    const err = ConnectError.from(e);
    expect(err.code === code, `expected ${Code[code]}, got ${Code[err.code]}: ${err.rawMessage}`);
    if (check) check(err);
    return;
  }
  fail(`expected ${Code[code]}, the call succeeded`);
}

// Error details of one type. connect-es's findDetails matches a detail's `type` against the bare
// message name, as the Connect protocol specifies; Envoy's connect_grpc_bridge writes the full
// type URL (type.googleapis.com/google.rpc.ErrorInfo) into Connect error bodies, which
// findDetails skips, so those are decoded here by hand. A browser client of the gateway needs
// the same tolerance (README, Gateway).
export function findDetails(err, schema) {
  const found = err.findDetails(schema);
  if (found.length > 0) return found;
  return err.details
    .filter((d) => !('desc' in d) && d.type === `type.googleapis.com/${schema.typeName}`)
    .map((d) => fromBinary(schema, d.value));
}

function errorInfo(err) {
  const [info] = findDetails(err, ErrorInfoSchema);
  expect(info, `no google.rpc.ErrorInfo in the error details (${err.details.length} details)`);
  expect(info.domain === 'cairn.dev', `ErrorInfo.domain is ${info.domain}`);
  return info;
}

// An answer stream, whatever its transport: started, retrieval, then deltas whose offsets (in code
// points) follow one another without gaps, then completed with the whole text's length. The
// check's user has no searchable items, so the answer is the NO_SOURCES one — which still streams
// in pieces through the generator path. `events` are {case, value} with proto field names.
function checkAnswer(events) {
  const cases = events.map((e) => e.case);
  expect(cases[0] === 'started' && cases[1] === 'retrieval', `stream starts ${cases.slice(0, 2)}`);
  expect(cases.at(-1) === 'completed', `stream ends ${cases.at(-1)}`);
  const deltas = events.filter((e) => e.case === 'delta').map((e) => e.value);
  expect(deltas.length >= 1, 'no delta');
  let offset = 0;
  for (const d of deltas) {
    expect(Number(d.offset) === offset, `delta at ${d.offset}, expected ${offset}`);
    offset += [...d.text].length;
  }
  const done = events.at(-1).value;
  expect(Number(done.text_length ?? done.textLength) === offset, `text_length ${done.text_length ?? done.textLength}, streamed ${offset}`);
  const reason = done.finish_reason ?? done.finishReason;
  expect(reason === 'FINISH_REASON_NO_SOURCES' || reason === 4, `finish reason ${reason}`);
}

/** Server streams checked over every path. */
export const STREAMS = [
  {
    name: 'vault DownloadItem streams a 2.5 MB document in order',
    async rpc(ctx) {
      const msgs = [];
      for await (const res of ctx.vault.downloadItem({ name: ctx.item.name }, ctx.opts())) msgs.push(res);
      expect(msgs[0]?.payload.case === 'metadata', `first message is ${msgs[0]?.payload.case}`);
      const chunks = msgs.slice(1).map((m) => {
        expect(m.payload.case === 'chunk', `a later message is ${m.payload.case}`);
        return m.payload.value;
      });
      await checkDownload(ctx, msgs[0].payload.value.version.sizeBytes, chunks);
    },
    async rest(ctx) {
      const res = await ctx.fetch(`/v1/${ctx.item.name}:download`, { headers: { accept: 'text/event-stream' } });
      if (res.status !== 200) fail(`HTTP ${res.status}: ${await res.text()}`);
      expect(
        (res.headers.get('content-type') ?? '').startsWith('text/event-stream'),
        `content-type ${res.headers.get('content-type')}`,
      );
      const events = await readSse(res);
      expect(events[0]?.metadata, `first event has no metadata: ${JSON.stringify(events[0])?.slice(0, 200)}`);
      const chunks = events.slice(1).map((e) => {
        expect(typeof e.chunk === 'string', `a later event has no chunk: ${Object.keys(e)}`);
        return base64ToBytes(e.chunk);
      });
      await checkDownload(ctx, BigInt(events[0].metadata.version.size_bytes), chunks);
    },
  },
  {
    name: 'chat SendMessage streams an answer (started, retrieval, deltas in order, completed)',
    async rpc(ctx) {
      const { conversation } = await ctx.chat.createConversation({ conversation: { displayName: 'gateway check' } }, ctx.opts());
      const events = [];
      for await (const res of ctx.chat.sendMessage({ parent: conversation.name, text: 'What does the gateway check?' }, ctx.opts())) {
        events.push({ case: res.event.case, value: res.event.value });
      }
      checkAnswer(events);
    },
    async rest(ctx) {
      const created = await ctx.fetch('/v1/conversations', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ display_name: 'gateway check (REST)' }),
      });
      if (created.status !== 200) fail(`create: HTTP ${created.status}: ${await created.text()}`);
      const { conversation } = await created.json();
      const res = await ctx.fetch(`/v1/${conversation.name}/messages:send`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ text: 'What does the gateway check?' }),
      });
      if (res.status !== 200) fail(`HTTP ${res.status}: ${await res.text()}`);
      expect((res.headers.get('content-type') ?? '').startsWith('text/event-stream'), `content-type ${res.headers.get('content-type')}`);
      const events = (await readSse(res)).map((e) => {
        const [key] = Object.keys(e);
        return { case: key, value: e[key] };
      });
      checkAnswer(events);
    },
  },
];

async function checkDownload(ctx, sizeBytes, chunks) {
  expect(chunks.length >= 3, `${chunks.length} chunks: the download was not streamed`);
  const body = concat(chunks);
  expect(body.length === DOWNLOAD_SIZE && sizeBytes === BigInt(DOWNLOAD_SIZE), `size ${body.length} / ${sizeBytes}`);
  expect((await sha256Hex(body)) === ctx.documentSha256, 'downloaded bytes differ from the uploaded ones');
}

/** Reads a whole server-sent-events body: one JSON message per `data:` event. */
export async function readSse(res) {
  const text = await res.text();
  const events = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const data = block
      .split(/\r?\n/)
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).trimStart())
      .join('\n');
    if (data) events.push(JSON.parse(data));
  }
  return events;
}

/** The checks over one Connect-ES transport. `document` is the bytes DownloadItem must return. */
export function rpcChecks({ transport, token, document }) {
  const ctx = {
    identity: createClient(IdentityService, transport),
    vault: createClient(VaultService, transport),
    sharing: createClient(SharingService, transport),
    audit: createClient(AuditService, transport),
    search: createClient(SearchService, transport),
    chat: createClient(ChatService, transport),
    opts: (extra = {}) => ({ headers: { authorization: `Bearer ${token}` }, timeoutMs: DEADLINE_MS, ...extra }),
  };
  const checks = [
    {
      name: 'identity GetUser users/me answers the demo user',
      async run() {
        const { user } = await ctx.identity.getUser({ name: 'users/me' }, ctx.opts());
        expect(user?.name.startsWith('users/'), `user ${user?.name}`);
        ctx.me = user.name;
      },
    },
    {
      name: 'vault CreateItem stores a 2.5 MB document, GetItem reads it back',
      async run() {
        ctx.documentSha256 = await sha256Hex(document);
        const { item } = await ctx.vault.createItem(
          { item: { kind: Item_Kind.DOCUMENT, displayName: 'gateway check', mediaType: 'application/octet-stream', payload: { case: 'content', value: document } } },
          ctx.opts(),
        );
        expect(item?.name.startsWith('items/'), `created ${item?.name}`);
        expect(hex(item.contentSha256) === ctx.documentSha256, 'content_sha256 differs from the bytes sent');
        const got = await ctx.vault.getItem({ name: item.name }, ctx.opts());
        expect(got.item?.sizeBytes === BigInt(DOWNLOAD_SIZE), `size_bytes ${got.item?.sizeBytes}`);
        ctx.item = item;
      },
    },
    {
      name: 'sharing ListGrants and GetAttestationKey answer',
      async run() {
        const grants = await ctx.sharing.listGrants({}, ctx.opts());
        expect(Array.isArray(grants.grants), 'no grants list');
        const { key } = await ctx.sharing.getAttestationKey({}, ctx.opts());
        expect(key?.publicKeyPem.includes('BEGIN PUBLIC KEY'), `key ${key?.publicKeyPem?.slice(0, 40)}`);
      },
    },
    {
      name: "audit ListAuditEvents lists the caller's CreateItem",
      async run() {
        const res = await ctx.audit.listAuditEvents({ parent: ctx.me, pageSize: 100 }, ctx.opts());
        expect(res.auditEvents.some((e) => e.target === ctx.item.name), `no event targets ${ctx.item.name}`);
      },
    },
    {
      name: 'search GetIndexStatus answers a summary',
      async run() {
        const res = await ctx.search.getIndexStatus({}, ctx.opts());
        expect(res.status.case === 'summary', `status ${res.status.case}`);
      },
    },
    {
      name: 'chat ListConversations answers a list',
      async run() {
        const res = await ctx.chat.listConversations({}, ctx.opts());
        expect(Array.isArray(res.conversations), 'no conversations list');
      },
    },
    ...STREAMS.map((s) => ({ name: s.name, run: () => s.rpc(ctx) })),
    {
      name: 'errors: NOT_FOUND with ErrorInfo for an absent item (unary and stream)',
      async run() {
        await expectRpcError(() => ctx.vault.getItem({ name: MISSING_ITEM }, ctx.opts()), Code.NotFound, errorInfo);
        await expectRpcError(
          async () => {
            for await (const _ of ctx.vault.downloadItem({ name: MISSING_ITEM }, ctx.opts()));
          },
          Code.NotFound,
          errorInfo,
        );
      },
    },
    {
      name: 'errors: INVALID_ARGUMENT with a BadRequest field violation on `name`',
      async run() {
        await expectRpcError(() => ctx.vault.getItem({ name: 'not-an-item' }, ctx.opts()), Code.InvalidArgument, (err) => {
          errorInfo(err);
          const [bad] = findDetails(err, BadRequestSchema);
          expect(bad?.fieldViolations.some((v) => v.field === 'name'), 'no field violation for name');
        });
      },
    },
    {
      name: 'errors: UNAUTHENTICATED without a token',
      async run() {
        await expectRpcError(() => ctx.identity.getUser({ name: 'users/me' }, { timeoutMs: DEADLINE_MS }), Code.Unauthenticated);
      },
    },
    {
      name: 'x-request-id: the gateway returns one with the response headers',
      async run() {
        let id = null;
        await ctx.identity.getUser({ name: 'users/me' }, ctx.opts({ onHeader: (h) => (id = h.get('x-request-id')) }));
        expect(id && id.length >= 8, `x-request-id ${id}`);
      },
    },
  ];
  return checks;
}

/** JSON/REST checks against `base` (the gateway's URL; '' in the browser on the same origin). */
export function restChecks({ base, token, document }) {
  const auth = { authorization: `Bearer ${token}` };
  const ctx = {
    fetch: (path, init = {}) =>
      fetch(`${base}${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) }, signal: AbortSignal.timeout(DEADLINE_MS) }),
  };
  const json = async (res, status = 200) => {
    const text = await res.text();
    expect(res.status === status, `HTTP ${res.status} (wanted ${status}): ${text.slice(0, 300)}`);
    expect((res.headers.get('content-type') ?? '').startsWith('application/json'), `content-type ${res.headers.get('content-type')}`);
    return JSON.parse(text);
  };
  const status = async (res, httpStatus, code) => {
    const body = await json(res, httpStatus);
    expect(body.code === code, `google.rpc.Status code ${body.code}, wanted ${code}: ${JSON.stringify(body)}`);
    expect(typeof body.message === 'string' && body.message.length > 0, 'no message');
    return body;
  };
  const detail = (body, type) => (body.details ?? []).find((d) => d['@type'] === `type.googleapis.com/${type}`);
  return [
    {
      name: 'REST identity GET /v1/users/me (proto field names, defaults printed)',
      async run() {
        const { user } = await json(await ctx.fetch('/v1/users/me'));
        expect(user.name?.startsWith('users/'), `name ${user.name}`);
        expect('display_name' in user && !('displayName' in user), `keys ${Object.keys(user)}`);
        ctx.me = user.name;
      },
    },
    {
      name: 'REST vault POST /v1/items, GET /v1/items/{id} (enums as names)',
      async run() {
        ctx.documentSha256 = await sha256Hex(document);
        const body = JSON.stringify({ kind: 'KIND_DOCUMENT', display_name: 'gateway check (REST)', media_type: 'application/octet-stream', content: bytesToBase64(document) });
        const createRes = await ctx.fetch('/v1/items', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
        ctx.createRequestId = createRes.headers.get('x-request-id');
        const created = await json(createRes);
        expect(created.item?.name?.startsWith('items/'), `created ${JSON.stringify(created).slice(0, 200)}`);
        const got = await json(await ctx.fetch(`/v1/${created.item.name}`));
        expect(got.item?.kind === 'KIND_DOCUMENT' && got.item?.state === 'STATE_ACTIVE', `kind ${got.item?.kind}, state ${got.item?.state}`);
        expect(got.item?.size_bytes === String(DOWNLOAD_SIZE), `size_bytes ${got.item?.size_bytes}`);
        ctx.item = created.item;
      },
    },
    {
      name: 'REST sharing GET /v1/grants and /v1/attestationKey',
      async run() {
        const grants = await json(await ctx.fetch('/v1/grants'));
        expect(Array.isArray(grants.grants), `grants ${JSON.stringify(grants)}`);
        const { key } = await json(await ctx.fetch('/v1/attestationKey'));
        expect(key?.algorithm === 'ALGORITHM_ED25519', `algorithm ${key?.algorithm}`);
      },
    },
    {
      name: "REST audit GET /v1/{user}/auditEvents lists the CreateItem under the gateway's x-request-id",
      async run() {
        const res = await json(await ctx.fetch(`/v1/${ctx.me}/auditEvents?page_size=100`));
        const event = res.audit_events?.find((e) => e.target === ctx.item.name && e.action === 'ACTION_ITEM_CREATE');
        expect(event, `no ACTION_ITEM_CREATE event targets ${ctx.item.name}`);
        // The id Envoy minted (and returned) is the one Cairn logged and audited the write under.
        expect(event.request_id === ctx.createRequestId, `audit request_id ${event.request_id}, response x-request-id ${ctx.createRequestId}`);
      },
    },
    {
      name: 'REST search GET /v1/indexStatus',
      async run() {
        const res = await json(await ctx.fetch('/v1/indexStatus'));
        expect(res.summary && 'pending_count' in res.summary, `body ${JSON.stringify(res)}`);
      },
    },
    {
      name: 'REST chat GET /v1/conversations answers a list',
      async run() {
        const body = await json(await ctx.fetch('/v1/conversations'));
        expect(Array.isArray(body.conversations ?? []), `body ${JSON.stringify(body).slice(0, 200)}`);
      },
    },
    ...STREAMS.map((s) => ({ name: `REST (SSE) ${s.name}`, run: () => s.rest(ctx) })),
    {
      name: 'REST errors: 404 + google.rpc.Status with ErrorInfo (unary and stream)',
      async run() {
        for (const path of [`/v1/${MISSING_ITEM}`, `/v1/${MISSING_ITEM}:download`]) {
          const body = await status(await ctx.fetch(path), 404, Code.NotFound);
          expect(detail(body, 'google.rpc.ErrorInfo')?.domain === 'cairn.dev', `${path}: details ${JSON.stringify(body.details)}`);
        }
      },
    },
    {
      name: 'REST errors: 400 + BadRequest field violation on `name`',
      async run() {
        const body = await status(await ctx.fetch('/v1/items/not!valid'), 400, Code.InvalidArgument);
        const bad = detail(body, 'google.rpc.BadRequest');
        expect(bad?.field_violations?.some((v) => v.field === 'name'), `details ${JSON.stringify(body.details)}`);
      },
    },
    {
      name: 'REST errors: 401 without a token, 404 for a path no rule maps',
      async run() {
        const res = await fetch(`${base}/v1/users/me`, { signal: AbortSignal.timeout(DEADLINE_MS) });
        await status(res, 401, Code.Unauthenticated);
        const unknown = await ctx.fetch('/v1/nothingHere');
        expect(unknown.status === 404, `HTTP ${unknown.status}`);
      },
    },
    {
      name: 'REST x-request-id is returned (and readable cross-origin)',
      async run() {
        const res = await ctx.fetch('/v1/users/me');
        await res.arrayBuffer();
        expect((res.headers.get('x-request-id') ?? '').length >= 8, `x-request-id ${res.headers.get('x-request-id')}`);
      },
    },
  ];
}

/** Runs checks in order, reporting each; returns { passed, failed, lines }. */
export async function runChecks(label, checks, log) {
  let passed = 0;
  let failed = 0;
  for (const c of checks) {
    const start = Date.now();
    try {
      await c.run();
      passed++;
      log(`ok   ${label}: ${c.name} (${Date.now() - start} ms)`);
    } catch (e) {
      failed++;
      log(`FAIL ${label}: ${c.name}: ${e?.message ?? e}`);
    }
  }
  return { passed, failed };
}

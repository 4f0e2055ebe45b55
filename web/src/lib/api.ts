// The console's one way to Cairn: a Connect transport (binary proto, the codec the gateway
// bridges) on the page's own origin, where Envoy routes API paths to Cairn and everything else to
// the console. The bearer token is added per call from the session, so it never sits in a URL.
import { createClient, type Client, type Interceptor, ConnectError, Code } from '@connectrpc/connect';
import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { createConnectTransport } from '@connectrpc/connect-web';
import { IdentityService } from '../gen/cairn/identity/v1/identity_service_pb.js';
import { VaultService } from '../gen/cairn/vault/v1/vault_service_pb.js';
import { SharingService } from '../gen/cairn/vault/v1/sharing_service_pb.js';
import { AuditService } from '../gen/cairn/vault/v1/audit_service_pb.js';
import { SearchService } from '../gen/cairn/search/v1/search_service_pb.js';
import { ChatService } from '../gen/cairn/chat/v1/chat_service_pb.js';
import { BadRequestSchema, ErrorInfoSchema } from '../gen/google/rpc/error_details_pb.js';
import { currentToken } from './session.js';

const auth: Interceptor = (next) => async (req) => {
  const token = currentToken();
  if (token) req.header.set('authorization', `Bearer ${token}`);
  return next(req);
};

export const transport = createConnectTransport({
  baseUrl: typeof location === 'undefined' ? 'http://localhost' : location.origin,
  useBinaryFormat: true,
  interceptors: [auth],
});

export const users: Client<typeof IdentityService> = createClient(IdentityService, transport);
export const vault: Client<typeof VaultService> = createClient(VaultService, transport);
/** Items and records live in one service; the alias reads better where a view works on tables. */
export const records: Client<typeof VaultService> = vault;
export const sharing: Client<typeof SharingService> = createClient(SharingService, transport);
export const search: Client<typeof SearchService> = createClient(SearchService, transport);
export const chat: Client<typeof ChatService> = createClient(ChatService, transport);
export const audit: Client<typeof AuditService> = createClient(AuditService, transport);

/** What a form shows for a failed call: one sentence, plus messages keyed by request field path. */
export interface UserError {
  message: string;
  code: Code | undefined;
  reason: string | undefined;
  fields: Record<string, string>;
}

const friendly: Partial<Record<Code, string>> = {
  [Code.Unauthenticated]: 'Your session has ended. Sign in again.',
  [Code.PermissionDenied]: 'You do not have permission to do that.',
  [Code.NotFound]: 'Not found — it may have been deleted, or it is not shared with you.',
  [Code.AlreadyExists]: 'That already exists.',
  [Code.Aborted]: 'Someone changed this meanwhile. Reload and try again.',
  [Code.ResourceExhausted]: 'Too much at once — a limit was reached. Try again later or with less.',
  [Code.Unavailable]: 'Cairn is unavailable right now. Try again in a moment.',
  [Code.DeadlineExceeded]: 'That took too long. Try again.',
  [Code.Internal]: 'Something went wrong on the server.',
  [Code.Unknown]: 'Something went wrong.',
};

/**
 * Error details of one type. Envoy's connect_grpc_bridge writes the full type URL
 * (`type.googleapis.com/google.rpc.BadRequest`) where connect-es's findDetails expects the bare
 * name, so those are decoded here (README, "Through the gateway").
 */
export function details<Desc extends DescMessage>(e: ConnectError, schema: Desc): MessageShape<Desc>[] {
  const found = e.findDetails(schema);
  if (found.length) return found;
  return e.details
    .filter((d): d is { type: string; value: Uint8Array } => !('desc' in d) && d.type === `type.googleapis.com/${schema.typeName}`)
    .map((d) => fromBinary(schema, d.value));
}

/** Turns any thrown value into what the user sees; field violations go on their fields. */
export function userError(e: unknown): UserError {
  if (!(e instanceof ConnectError)) {
    if (e instanceof DOMException && e.name === 'AbortError') {
      return { message: 'Cancelled.', code: Code.Canceled, reason: undefined, fields: {} };
    }
    return { message: e instanceof Error ? e.message : String(e), code: undefined, reason: undefined, fields: {} };
  }
  const fields: Record<string, string> = {};
  for (const bad of details(e, BadRequestSchema)) {
    for (const v of bad.fieldViolations) fields[v.field] = fields[v.field] ? `${fields[v.field]}; ${v.description}` : v.description;
  }
  const reason = details(e, ErrorInfoSchema)[0]?.reason;
  const base = e.code === Code.InvalidArgument || e.code === Code.FailedPrecondition
    ? e.rawMessage
    : (friendly[e.code] ?? e.rawMessage);
  return { message: base || 'The request failed.', code: e.code, reason, fields };
}

/** The violation for a field, also matching nested paths (`record.data.age` for `record.data`). */
export function fieldError(err: UserError | undefined, field: string): string | undefined {
  if (!err) return undefined;
  if (err.fields[field]) return err.fields[field];
  const nested = Object.keys(err.fields).filter((k) => k.startsWith(`${field}.`) || k.startsWith(`${field}[`));
  return nested.length ? nested.map((k) => err.fields[k]).join('; ') : undefined;
}

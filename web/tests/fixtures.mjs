// Data the search, chat and audit tests arrange before the browser proves anything, put in
// through the gateway's JSON/REST mapping (harness.rest) the way any client's data would be.
import { rest, secret } from './harness.mjs';

/** A plain-text document; with `searchable`, resolves once its current version is indexed. */
export async function document(token, displayName, text, { searchable = true, deadlineMs = 60_000 } = {}) {
  const { item } = await rest('POST', '/v1/items', token, {
    kind: 'KIND_DOCUMENT',
    display_name: displayName,
    media_type: 'text/plain',
    searchable,
    content: Buffer.from(secret(text), 'utf8').toString('base64'),
  });
  if (searchable) await indexed(token, item.name, deadlineMs);
  return item.name;
}

// Indexing is a background job: poll its status until a deadline (no fixed sleep decides it).
async function indexed(token, name, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const { item_status: status } = await rest('GET', `/v1/indexStatus?item=${encodeURIComponent(name)}`, token);
    if (status?.state === 'STATE_INDEXED') return;
    if (status?.state === 'STATE_FAILED') throw new Error(`${name} failed to index: ${status.error}`);
    if (Date.now() > deadline) throw new Error(`${name} not indexed within ${deadlineMs} ms (${status?.state})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

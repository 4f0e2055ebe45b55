// Vault operations the views share: resumable chunked upload, streamed download, restore.
import { Code, ConnectError } from '@connectrpc/connect';
import { vault } from './api.js';
import { Item_Kind, type Item } from '../gen/cairn/vault/v1/item_pb.js';

/**
 * Bytes per AppendUpload call. Browsers cannot open client streams over Connect or gRPC-Web, so
 * the console uploads through the resumable upload RPCs: one CreateUpload, unary appends of this
 * size (progress is the server's committed offset), one CompleteUpload.
 */
export const CHUNK_BYTES = 512 * 1024;
/**
 * Largest content UpdateItem takes inline (a new version from the item page, a restore): the
 * server's CAIRN_VAULT_INLINE_MAX_BYTES, 4 MiB by default. New documents upload in chunks.
 */
export const INLINE_MAX_BYTES = 4 * 1024 * 1024;
/** Files up to this size are hashed first, so the server checks the whole content end to end. */
const HASH_MAX_BYTES = 64 * 1024 * 1024;
/** sessionStorage key of the unfinished uploads: upload names and file identities, never content. */
const PENDING_KEY = 'cairn.pendingUploads';

export function mediaTypeOf(file: File): string {
  return file.type || 'application/octet-stream';
}

/** An upload the page started and did not finish (it was reloaded), and the file it was for. */
export interface PendingUpload {
  upload: string;
  fileName: string;
  size: number;
  lastModified: number;
}

function storage(): Storage | undefined {
  return typeof sessionStorage === 'undefined' ? undefined : sessionStorage;
}

export function pendingUploads(): PendingUpload[] {
  try {
    return JSON.parse(storage()?.getItem(PENDING_KEY) ?? '[]') as PendingUpload[];
  } catch {
    return [];
  }
}

function savePending(list: PendingUpload[]) {
  if (list.length) storage()?.setItem(PENDING_KEY, JSON.stringify(list));
  else storage()?.removeItem(PENDING_KEY);
}

function forget(upload: string) {
  savePending(pendingUploads().filter((p) => p.upload !== upload));
}

const sameFile = (p: PendingUpload, file: File) =>
  p.fileName === file.name && p.size === file.size && p.lastModified === file.lastModified;

/** Whether choosing `file` continues an interrupted upload rather than starting over. */
export function pendingFor(file: File): PendingUpload | undefined {
  return pendingUploads().find((p) => sameFile(p, file));
}

/** Abandons an interrupted upload: the server deletes what it staged. */
export async function discardUpload(upload: string): Promise<void> {
  forget(upload);
  try {
    await vault.cancelUpload({ name: upload });
  } catch {
    // already gone (expired, completed or cancelled): nothing left to discard
  }
}

/** Where an interrupted upload stands on the server, or undefined when it is gone. */
async function resumable(pending: PendingUpload | undefined): Promise<bigint | undefined> {
  if (!pending) return undefined;
  try {
    const { upload } = await vault.getUpload({ name: pending.upload });
    return upload?.committedBytes;
  } catch {
    forget(pending.upload);
    return undefined;
  }
}

/**
 * Uploads a document in CHUNK_BYTES appends; `progress(committed, total)` after each one. If an
 * earlier upload of the same file was interrupted (a reload), continues it from the offset the
 * server committed. A lost answer is retried at the same offset, which the server treats as
 * harmless; an offset the server does not expect is re-read with GetUpload.
 */
export async function upload(file: File, labels: Record<string, string>, searchable: boolean,
  progress: (committed: number, total: number) => void = () => {}): Promise<Item> {
  let pending = pendingFor(file);
  let offset = await resumable(pending);
  if (offset === undefined || !pending) {
    const sha = file.size <= HASH_MAX_BYTES ? new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer())) : new Uint8Array();
    const { upload: created } = await vault.createUpload({
      requestId: crypto.randomUUID(),
      upload: {
        item: { kind: Item_Kind.DOCUMENT, displayName: file.name, mediaType: mediaTypeOf(file), labels, searchable },
        sizeBytes: BigInt(file.size), contentSha256: sha,
      },
    });
    pending = { upload: created!.name, fileName: file.name, size: file.size, lastModified: file.lastModified };
    savePending([...pendingUploads().filter((p) => !sameFile(p, file)), pending]);
    offset = 0n;
  }
  const name = pending.upload;
  progress(Number(offset), file.size);
  while (offset < BigInt(file.size)) {
    const start = Number(offset);
    const data = new Uint8Array(await file.slice(start, start + CHUNK_BYTES).arrayBuffer());
    offset = await appendOnce(name, offset, data);
    progress(Number(offset), file.size);
  }
  const { item } = await vault.completeUpload({ name });
  forget(name);
  return item!;
}

async function appendOnce(name: string, offset: bigint, data: Uint8Array): Promise<bigint> {
  for (let attempt = 0; ; attempt++) {
    try {
      const { upload } = await vault.appendUpload({ name, offset, data });
      return upload!.committedBytes;
    } catch (e) {
      if (e instanceof ConnectError && e.code === Code.FailedPrecondition) {
        const { upload } = await vault.getUpload({ name });
        return upload!.committedBytes; // the server is elsewhere (an earlier try landed): go on from there
      }
      if (!(e instanceof ConnectError) || e.code !== Code.Unavailable || attempt >= 3) throw e;
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
}

export interface Downloaded {
  blob: Blob;
  item: Item | undefined;
}

/** Streams DownloadItem into a Blob; `progress(received, total)` after each chunk. */
export async function download(name: string, version: bigint, progress: (received: number, total: number) => void,
  signal?: AbortSignal): Promise<Downloaded> {
  const parts: Uint8Array[] = [];
  let total = 0;
  let received = 0;
  let item: Item | undefined;
  let mediaType = 'application/octet-stream';
  for await (const res of vault.downloadItem({ name, version }, { signal })) {
    if (res.payload.case === 'metadata') {
      item = res.payload.value.item;
      total = Number(res.payload.value.version?.sizeBytes ?? 0n);
      mediaType = res.payload.value.version?.mediaType || mediaType;
      progress(0, total);
    } else if (res.payload.case === 'chunk') {
      parts.push(res.payload.value);
      received += res.payload.value.length;
      progress(received, total);
    }
  }
  return { blob: new Blob(parts as BlobPart[], { type: mediaType }), item };
}

/**
 * Makes an old version current again: its content becomes a new version (versions are
 * immutable, so history keeps both). Documents and records alike, through UpdateItem.
 */
export async function restore(item: Item, version: bigint): Promise<Item> {
  const { blob } = await download(item.name, version, () => {});
  if (item.kind === Item_Kind.RECORD) {
    const data = JSON.parse(await blob.text());
    const { item: updated } = await vault.updateItem({
      item: { name: item.name, payload: { case: 'data', value: data } }, updateMask: { paths: ['data'] }, etag: item.etag,
    });
    return updated!;
  }
  const { item: updated } = await vault.updateItem({
    item: { name: item.name, mediaType: blob.type || item.mediaType, payload: { case: 'content', value: new Uint8Array(await blob.arrayBuffer()) } },
    updateMask: { paths: ['content', 'media_type'] },
    etag: item.etag,
  });
  return updated!;
}

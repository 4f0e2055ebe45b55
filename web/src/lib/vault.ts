// Vault operations the views share: upload (CreateItem inline), streamed download, restore.
import { vault } from './api.js';
import { Item_Kind, type Item } from '../gen/cairn/vault/v1/item_pb.js';

/**
 * Largest document the browser can send. Browsers cannot open client streams over Connect or
 * gRPC-Web, so UploadItem (the chunked stream) is out of reach; CreateItem and UpdateItem take
 * content inline up to the server's CAIRN_VAULT_INLINE_MAX_BYTES (4 MiB by default).
 */
export const INLINE_MAX_BYTES = 4 * 1024 * 1024;

export function mediaTypeOf(file: File): string {
  return file.type || 'application/octet-stream';
}

export async function upload(file: File, labels: Record<string, string>, searchable: boolean): Promise<Item> {
  const content = new Uint8Array(await file.arrayBuffer());
  const { item } = await vault.createItem({
    requestId: crypto.randomUUID(),
    item: { kind: Item_Kind.DOCUMENT, displayName: file.name, mediaType: mediaTypeOf(file), labels, searchable, payload: { case: 'content', value: content } },
  });
  return item!;
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

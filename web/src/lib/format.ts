// Small display helpers shared by the views.
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';

export function bytes(n: bigint | number): string {
  const v = Number(n);
  if (v < 1024) return `${v} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let x = v / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(x < 10 ? 1 : 0)} ${units[i]}`;
}

export function when(ts: Timestamp | undefined): string {
  if (!ts) return '—';
  return timestampDate(ts).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

/** The last segment of a resource name: `items/abc` → `abc`. */
export function id(name: string): string {
  return name.slice(name.lastIndexOf('/') + 1);
}

/** `key=value, key2` → ListItems' label filters (`key=value`, `key2`). */
export function labelFilters(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

/** `key=value, key2=v2` → a labels map; a bare key gets an empty value. */
export function labelMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of labelFilters(text)) {
    const eq = part.indexOf('=');
    if (eq < 0) out[part] = '';
    else out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export function labelText(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => (v ? `${k}=${v}` : k)).join(', ');
}

/** Hands a Blob to the browser as a file download (an object URL, revoked right after). */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

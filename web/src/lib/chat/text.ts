// Appends streamed answer text by its offset. Offsets are Unicode code points; a resumed stream
// may start before what the page already has (it re-sends from `from_offset`), so only the part
// beyond the current end is appended and nothing is ever shown twice.

export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** The text with `delta` (at code point `offset`) applied; throws on a gap. */
export function appendAt(text: string, delta: string, offset: number): string {
  const have = codePointLength(text);
  if (offset > have) throw new Error(`answer text has a gap: delta at ${offset}, have ${have}`);
  if (offset === have) return text + delta;
  const skip = have - offset;
  return text + Array.from(delta).slice(skip).join('');
}
